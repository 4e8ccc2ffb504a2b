#!/bin/sh
# check_plugin_kit.sh: a plugin author with only the installed polydm (no
# source tree) scaffolds, builds, tests, loads and session-tests a plugin
# of each kind (issue 16 items 1 and 3).
#
#  1. `cmake --install BUILD --prefix WORK/prefix`; from then on only the
#     prefix is used: PATH, CMAKE_PREFIX_PATH and PKG_CONFIG_PATH point into
#     it, POLYDM_* are unset, and the commands run from WORK
#  2. `polydm plugin new` refuses a reserved name, a bad name, an unknown
#     kind and an existing directory (exit 2)
#  3. for each kind (bootstrap, authority, policy, mo): `polydm plugin new
#     p-KIND --kind KIND`, then
#       - CMake (find_package(polydm)) with GCC, -Wall -Wextra -Werror, and
#         ctest: the unit test and the session test (polydm_add_plugin_test:
#         the plugin in a real polydm, polydm-testserver on 127.0.0.1)
#       - CMake with Clang, -Werror: the unit test
#       - make + pkg-config with GCC and with Clang, -Werror: `make check`;
#         with GCC also `make session` (polydm-plugin-test) for the mo kind
#       - the module exports exactly pdm_plugin_entry
#       - `polydm plugins list` with the sample profile and the module's
#         directory on the plugin path lists it; `polydm profile check` of
#         the sample profile passes
#       - `polydm plugin check` (the conformance checker, item 2) passes the
#         module with its sample profile, in text and with --json
#
# Run by ctest (label "install", tests/install/CMakeLists.txt).
set -eu

build='' work='' cmake=cmake ctest=ctest generator='' gcc='' clang=''
nm=nm pkgconfig=pkg-config make=make libdir=lib bindir=bin sanitize=''
kinds='bootstrap authority policy mo'
for arg in "$@"; do
    val=${arg#*=}
    case $arg in
    --build=*) build=$val ;;
    --work=*) work=$val ;;
    --cmake=*) cmake=$val ;;
    --ctest=*) ctest=$val ;;
    --generator=*) generator=$val ;;
    --gcc=*) gcc=$val ;;
    --clang=*) clang=$val ;;
    --nm=*) nm=$val ;;
    --pkg-config=*) pkgconfig=$val ;;
    --make=*) make=$val ;;
    --libdir=*) libdir=$val ;;
    --bindir=*) bindir=$val ;;
    --sanitize=*) sanitize=$val ;;
    --kinds=*) kinds=$val ;;
    *) echo "check_plugin_kit.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done
if [ -z "$build" ] || [ -z "$work" ]; then
    echo "usage: check_plugin_kit.sh --build=DIR --work=DIR [--OPTION=VALUE...]" >&2
    exit 2
fi

step() { printf '\n== %s\n' "$*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok    $*"; }
real() { (cd "$1" 2>/dev/null && pwd -P) || echo "$1 (does not exist)"; }
# In a sanitizer build the installed fake host archive is instrumented.
san_flags=''
[ -z "$sanitize" ] || san_flags="-fsanitize=$sanitize"

rm -rf "$work"
mkdir -p "$work/home"
step "cmake --install into $work/prefix"
"$cmake" --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; die "cmake --install failed"; }
prefix=$(real "$work/prefix")
for f in "$bindir/polydm" "$bindir/polydm-testserver" "$bindir/polydm-plugin-test" \
    share/polydm/testserver/README.md share/polydm/templates/common/CMakeLists.txt; do
    [ -e "$prefix/$f" ] || die "not installed: $f"
done
ok "polydm, polydm-testserver, polydm-plugin-test, templates, scenario format"

# Only the installed tree from here on.
unset POLYDM_PLUGIN_PATH POLYDM_PROFILE POLYDM_STATE_DIR XDG_STATE_HOME
unset LD_LIBRARY_PATH POLYDM_CLI POLYDM_TESTSERVER
HOME=$work/home
PATH=$prefix/$bindir:/usr/local/bin:/usr/bin:/bin
CMAKE_PREFIX_PATH=$prefix
PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
export HOME PATH CMAKE_PREFIX_PATH PKG_CONFIG_PATH
cd "$work"
plugindir=$(real "$prefix/$libdir/polydm/plugins")

step "polydm plugin new: refusals (exit 2)"
mkdir -p "$work/exists"
for bad in "core --kind mo" "agent --kind mo" "Bad_Name --kind mo" \
    "1x --kind mo" "x- --kind mo" "ok-name --kind fumo" "ok-name" \
    "ok-name --kind mo --dir $work/exists"; do
    rc=0
    # shellcheck disable=SC2086 # the arguments are meant to split
    polydm plugin new $bad >"$work/refused.out" 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || { cat "$work/refused.out" >&2; die "plugin new $bad: exit $rc, expected 2"; }
    grep -q '^polydm: plugin new: ' "$work/refused.out" ||
        die "plugin new $bad: no error message"
done
[ ! -e "$work/ok-name" ] || die "a refused plugin new wrote ok-name/"
ok "reserved, malformed, unknown kind, existing directory"

exported() {
    "$nm" -D --defined-only "$1" |
        awk '$(NF-1) != "A" { sub(/@.*/, "", $NF); print $NF }' | sort -u
}

for kind in $kinds; do
    name=p-$kind
    cname=p_$kind
    src=$work/$kind
    step "$kind: polydm plugin new $name --kind $kind"
    polydm plugin new "$name" --kind "$kind" --dir "$src" >/dev/null ||
        die "plugin new $name --kind $kind"
    for f in "$cname.c" "${cname}_test.c" CMakeLists.txt Makefile README.md \
        "$name.profile" session.scn; do
        [ -f "$src/$f" ] || die "$kind: plugin new did not write $f"
    done
    ok "wrote $(cd "$src" && ls | tr '\n' ' ')"

    # CMake + GCC: unit and session test.
    set -- -S "$src" -B "$work/$kind-gcc" -DCMAKE_C_COMPILER="$gcc" \
        -DCMAKE_BUILD_TYPE=Debug -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
        "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror"
    [ -z "$generator" ] || set -- "$@" -G "$generator"
    [ -z "$san_flags" ] || set -- "$@" "-DCMAKE_EXE_LINKER_FLAGS=$san_flags"
    "$cmake" "$@" >"$work/$kind-gcc.log" 2>&1 &&
        "$cmake" --build "$work/$kind-gcc" >>"$work/$kind-gcc.log" 2>&1 ||
        { cat "$work/$kind-gcc.log" >&2; die "$kind: CMake build with GCC"; }
    pkgdir=$(sed -n 's/^polydm_DIR:PATH=//p' "$work/$kind-gcc/CMakeCache.txt")
    [ "$(real "$pkgdir")" = "$(real "$prefix/$libdir/cmake/polydm")" ] ||
        die "$kind: find_package(polydm) used $pkgdir"
    (cd "$work/$kind-gcc" && "$ctest" --output-on-failure) >"$work/$kind-ctest.log" 2>&1 ||
        { cat "$work/$kind-ctest.log" >&2; die "$kind: ctest (unit + session test)"; }
    grep -q "${cname}_session .*Passed" "$work/$kind-ctest.log" ||
        { cat "$work/$kind-ctest.log" >&2; die "$kind: no passed session test"; }
    ok "CMake + GCC -Werror: unit test and session test pass"
    # The authority's session test catches an authority that decides
    # otherwise: one that trusts other.test too lets it take root, which
    # the test's `#@ before-refused` line must report.
    if [ "$kind" = authority ]; then
        sed 's/^option\.trusted = .*/option.trusted = plugin.test,other.test/' \
            "$src/$name.profile" >"$work/lax.profile"
        if sh "$prefix/$bindir/polydm-plugin-test" --plugin "$work/$kind-gcc/$name.so" \
            --profile "$work/lax.profile" --scenario "$src/session.scn" \
            --tree "$src/tree.tnds.xml" >"$work/lax.log" 2>&1; then
            cat "$work/lax.log" >&2
            die "authority: the session test passed an authority that lets every server take root"
        fi
        grep -q "takeover other.test --yes' exited 0, expected a refusal (1)" "$work/lax.log" ||
            { cat "$work/lax.log" >&2; die "authority: the lax authority's failure is not named"; }
        ok "the session test fails for an authority that lets other.test take root"
    fi
    [ "$(exported "$work/$kind-gcc/$name.so")" = pdm_plugin_entry ] ||
        die "$kind: $name.so exports more than pdm_plugin_entry"

    # CMake + Clang: the unit test.
    if [ -n "$clang" ]; then
        set -- -S "$src" -B "$work/$kind-clang" -DCMAKE_C_COMPILER="$clang" \
            -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
            "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror"
        [ -z "$generator" ] || set -- "$@" -G "$generator"
        [ -z "$san_flags" ] || set -- "$@" "-DCMAKE_EXE_LINKER_FLAGS=$san_flags"
        "$cmake" "$@" >"$work/$kind-clang.log" 2>&1 &&
            "$cmake" --build "$work/$kind-clang" >>"$work/$kind-clang.log" 2>&1 &&
            (cd "$work/$kind-clang" && "$ctest" -R "${cname}_test" --output-on-failure) \
                >>"$work/$kind-clang.log" 2>&1 ||
            { cat "$work/$kind-clang.log" >&2; die "$kind: CMake build/test with Clang"; }
        ok "CMake + Clang -Werror: unit test passes"
    fi

    # make + pkg-config, with each compiler.
    for cc in "$gcc" "$clang"; do
        [ -n "$cc" ] || continue
        rm -rf "$work/$kind-make" "$work/$kind-make.log"
        cp -R "$src" "$work/$kind-make"
        targets='all check'
        [ "$kind" != mo ] || [ "$cc" != "$gcc" ] || targets='all check session'
        # In a sanitizer build only the test program takes the sanitizer
        # (it links the instrumented fake host).  The module is built first
        # without it, as the CMake build does: Clang puts its ASan runtime
        # in executables only, so a -shared module with -fsanitize fails
        # -Wl,--no-undefined (GCC links libasan.so and would pass).
        if [ -n "$san_flags" ]; then
            "$make" -C "$work/$kind-make" CC="$cc" PKG_CONFIG="$pkgconfig" \
                CFLAGS="-O2 -Wall -Wextra -Werror" "$name.so" \
                >"$work/$kind-make.log" 2>&1 ||
                { cat "$work/$kind-make.log" >&2; die "$kind: make $name.so with $cc"; }
        fi
        # shellcheck disable=SC2086 # the targets are meant to split
        "$make" -C "$work/$kind-make" CC="$cc" PKG_CONFIG="$pkgconfig" \
            CFLAGS="-O2 -Wall -Wextra -Werror" LDFLAGS="$san_flags" $targets \
            >>"$work/$kind-make.log" 2>&1 ||
            { cat "$work/$kind-make.log" >&2; die "$kind: make $targets with $cc"; }
        ok "make + pkg-config with $(basename "$cc") -Werror: $targets"
    done

    # Loaded by the installed polydm with the sample profile.
    POLYDM_PLUGIN_PATH=$work/$kind-gcc:$plugindir polydm --state "$work/state-$kind" \
        --profile "$src/$name.profile" plugins list >"$work/$kind-list.log" 2>&1 ||
        { cat "$work/$kind-list.log" >&2; die "$kind: plugins list"; }
    grep -q "$name .*\[$work/$kind-gcc/$name.so\]" "$work/$kind-list.log" ||
        { cat "$work/$kind-list.log" >&2; die "$kind: $name not loaded"; }
    POLYDM_PLUGIN_PATH=$work/$kind-gcc:$plugindir \
        polydm profile check "$src/$name.profile" >"$work/$kind-check.log" 2>&1 ||
        { cat "$work/$kind-check.log" >&2; die "$kind: profile check"; }
    ok "plugins list loads $name; profile check of $name.profile passes"

    # The conformance checker of the installed polydm, with the sample
    # profile's options: every rule passes (exit 0), and --json says so.
    POLYDM_PLUGIN_PATH=$work/$kind-gcc:$plugindir polydm plugin check \
        "$work/$kind-gcc/$name.so" --profile "$src/$name.profile" \
        >"$work/$kind-pcheck.log" 2>&1 ||
        { cat "$work/$kind-pcheck.log" >&2; die "$kind: plugin check"; }
    POLYDM_PLUGIN_PATH=$work/$kind-gcc:$plugindir polydm plugin check \
        "$work/$kind-gcc/$name.so" --profile "$src/$name.profile" --json \
        >"$work/$kind-pcheck.json" 2>&1 ||
        { cat "$work/$kind-pcheck.json" >&2; die "$kind: plugin check --json"; }
    grep -q '"failures": *0' "$work/$kind-pcheck.json" ||
        { cat "$work/$kind-pcheck.json" >&2; die "$kind: plugin check --json: failures"; }
    ok "plugin check passes $name.so (text and --json)"
done

step "PASS: scaffolded, built (CMake, make; GCC, Clang), unit-tested, conformance-checked, session-tested and loaded: $kinds"
