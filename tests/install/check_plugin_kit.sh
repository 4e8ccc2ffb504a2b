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
kinds='bootstrap authority policy mo' source='' doc=''
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
    --source=*) source=$val ;;
    --doc=*) doc=$val ;;
    *) echo "check_plugin_kit.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done
if [ -z "$build" ] || [ -z "$work" ]; then
    echo "usage: check_plugin_kit.sh --build=DIR --work=DIR [--OPTION=VALUE...]" >&2
    exit 2
fi
[ -z "$doc" ] || [ -n "$source" ] || { echo "check_plugin_kit.sh: --doc needs --source" >&2; exit 2; }

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

# A build or test log on stderr; for a worked example of the document,
# FILE:N of one of its files is shown as the document's line too.
doc_ex='' doc_lines=''
doc_log() {
    if [ -z "$doc_ex" ]; then
        cat "$1" >&2
        return
    fi
    awk -v doc="$doc" -v ex="$doc_ex/" -v lines="$doc_lines" '
        BEGIN {
            while ((getline l < lines) > 0) {
                split(l, a, " ")
                if (index(a[1], ex) == 1)
                    start[substr(a[1], length(ex) + 1)] = a[2]
            }
        }
        {
            out = ""; s = $0
            while (match(s, /[^ \t:()]*[A-Za-z0-9_.-]+:[0-9]+/)) {
                tok = substr(s, RSTART, RLENGTH)
                c = index(tok, ":"); f = substr(tok, 1, c - 1)
                sub(/.*\//, "", f)
                if (f in start)
                    tok = doc ":" (start[f] + substr(tok, c + 1) - 1) " (" f ":" substr(tok, c + 1) ")"
                out = out substr(s, 1, RSTART - 1) tok
                s = substr(s, RSTART + RLENGTH)
            }
            print out s
        }' "$1" >&2
}

exported() {
    "$nm" -D --defined-only "$1" |
        awk '$(NF-1) != "A" { sub(/@.*/, "", $NF); print $NF }' | sort -u
}

# Builds, tests, loads and conformance-checks the plugin project SRC
# (plugin NAME, C name CNAME, of KIND); TAG names its build directories,
# WHERE its failures.
check_project() {
    kind=$1 name=$2 cname=$3 src=$4 tag=$5 where=$6
    # CMake + GCC: unit and session test.
    set -- -S "$src" -B "$work/$tag-gcc" -DCMAKE_C_COMPILER="$gcc" \
        -DCMAKE_BUILD_TYPE=Debug -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
        "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror"
    [ -z "$generator" ] || set -- "$@" -G "$generator"
    [ -z "$san_flags" ] || set -- "$@" "-DCMAKE_EXE_LINKER_FLAGS=$san_flags"
    "$cmake" "$@" >"$work/$tag-gcc.log" 2>&1 &&
        "$cmake" --build "$work/$tag-gcc" >>"$work/$tag-gcc.log" 2>&1 ||
        { doc_log "$work/$tag-gcc.log"; die "$where: CMake build with GCC"; }
    pkgdir=$(sed -n 's/^polydm_DIR:PATH=//p' "$work/$tag-gcc/CMakeCache.txt")
    [ "$(real "$pkgdir")" = "$(real "$prefix/$libdir/cmake/polydm")" ] ||
        die "$where: find_package(polydm) used $pkgdir"
    (cd "$work/$tag-gcc" && "$ctest" --output-on-failure) >"$work/$tag-ctest.log" 2>&1 ||
        { doc_log "$work/$tag-ctest.log"; die "$where: ctest (unit + session test)"; }
    grep -q "${cname}_session .*Passed" "$work/$tag-ctest.log" ||
        { doc_log "$work/$tag-ctest.log"; die "$where: no passed session test"; }
    ok "CMake + GCC -Werror: unit test and session test pass"
    # The authority template's session test catches an authority that
    # decides otherwise: one that trusts other.test too lets it take root,
    # which the test's `#@ before-refused` line must report.
    if [ "$kind" = authority ] && [ -z "$doc_ex" ]; then
        sed 's/^option\.trusted = .*/option.trusted = plugin.test,other.test/' \
            "$src/$name.profile" >"$work/lax.profile"
        if sh "$prefix/$bindir/polydm-plugin-test" --plugin "$work/$tag-gcc/$name.so" \
            --profile "$work/lax.profile" --scenario "$src/session.scn" \
            --tree "$src/tree.tnds.xml" >"$work/lax.log" 2>&1; then
            cat "$work/lax.log" >&2
            die "authority: the session test passed an authority that lets every server take root"
        fi
        grep -q "takeover other.test --yes' exited 0, expected a refusal (1)" "$work/lax.log" ||
            { cat "$work/lax.log" >&2; die "authority: the lax authority's failure is not named"; }
        ok "the session test fails for an authority that lets other.test take root"
    fi
    [ "$(exported "$work/$tag-gcc/$name.so")" = pdm_plugin_entry ] ||
        die "$where: $name.so exports more than pdm_plugin_entry"

    # CMake + Clang: the unit test (not for the worked examples, whose
    # make + Clang build below already compiles and runs it: CI time).
    if [ -n "$clang" ] && [ -z "$doc_ex" ]; then
        set -- -S "$src" -B "$work/$tag-clang" -DCMAKE_C_COMPILER="$clang" \
            -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
            "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror"
        [ -z "$generator" ] || set -- "$@" -G "$generator"
        [ -z "$san_flags" ] || set -- "$@" "-DCMAKE_EXE_LINKER_FLAGS=$san_flags"
        "$cmake" "$@" >"$work/$tag-clang.log" 2>&1 &&
            "$cmake" --build "$work/$tag-clang" >>"$work/$tag-clang.log" 2>&1 &&
            (cd "$work/$tag-clang" && "$ctest" -R "${cname}_test" --output-on-failure) \
                >>"$work/$tag-clang.log" 2>&1 ||
            { doc_log "$work/$tag-clang.log"; die "$where: CMake build/test with Clang"; }
        ok "CMake + Clang -Werror: unit test passes"
    fi

    # make + pkg-config, with each compiler.
    for cc in "$gcc" "$clang"; do
        [ -n "$cc" ] || continue
        rm -rf "$work/$tag-make" "$work/$tag-make.log"
        cp -R "$src" "$work/$tag-make"
        targets='all check'
        [ "$kind" != mo ] || [ "$cc" != "$gcc" ] || targets='all check session'
        # In a sanitizer build only the test program takes the sanitizer
        # (it links the instrumented fake host).  The module is built first
        # without it, as the CMake build does: Clang puts its ASan runtime
        # in executables only, so a -shared module with -fsanitize fails
        # -Wl,--no-undefined (GCC links libasan.so and would pass).
        if [ -n "$san_flags" ]; then
            "$make" -C "$work/$tag-make" CC="$cc" PKG_CONFIG="$pkgconfig" \
                CFLAGS="-O2 -Wall -Wextra -Werror" "$name.so" \
                >"$work/$tag-make.log" 2>&1 ||
                { doc_log "$work/$tag-make.log"; die "$where: make $name.so with $cc"; }
        fi
        # shellcheck disable=SC2086 # the targets are meant to split
        "$make" -C "$work/$tag-make" CC="$cc" PKG_CONFIG="$pkgconfig" \
            CFLAGS="-O2 -Wall -Wextra -Werror" LDFLAGS="$san_flags" $targets \
            >>"$work/$tag-make.log" 2>&1 ||
            { doc_log "$work/$tag-make.log"; die "$where: make $targets with $cc"; }
        ok "make + pkg-config with $(basename "$cc") -Werror: $targets"
    done

    # Loaded by the installed polydm with the sample profile.
    POLYDM_PLUGIN_PATH=$work/$tag-gcc:$plugindir polydm --state "$work/state-$kind" \
        --profile "$src/$name.profile" plugins list >"$work/$tag-list.log" 2>&1 ||
        { cat "$work/$tag-list.log" >&2; die "$where: plugins list"; }
    grep -q "$name .*\[$work/$tag-gcc/$name.so\]" "$work/$tag-list.log" ||
        { cat "$work/$tag-list.log" >&2; die "$where: $name not loaded"; }
    POLYDM_PLUGIN_PATH=$work/$tag-gcc:$plugindir \
        polydm profile check "$src/$name.profile" >"$work/$tag-check.log" 2>&1 ||
        { cat "$work/$tag-check.log" >&2; die "$where: profile check"; }
    ok "plugins list loads $name; profile check of $name.profile passes"
    # A bootstrap source's session test cannot tell an applied document
    # from none offered (`bootstrap --scan` succeeds either way): the
    # sample profile's source must offer one that the core applies.
    if [ "$kind" = bootstrap ]; then
        POLYDM_PLUGIN_PATH=$work/$tag-gcc:$plugindir polydm --state "$work/$tag-scan" \
            --profile "$src/$name.profile" bootstrap --scan >"$work/$tag-scan.log" 2>&1 ||
            { cat "$work/$tag-scan.log" >&2; die "$where: bootstrap --scan"; }
        grep -q '^scan: 1 applied, 0 refused' "$work/$tag-scan.log" ||
            { cat "$work/$tag-scan.log" >&2; die "$where: bootstrap --scan applied no document"; }
        ok "bootstrap --scan with $name.profile on a new store: 1 applied"
    fi

    # The conformance checker of the installed polydm, with the sample
    # profile's options: every rule passes (exit 0), and --json says so.
    POLYDM_PLUGIN_PATH=$work/$tag-gcc:$plugindir polydm plugin check \
        "$work/$tag-gcc/$name.so" --profile "$src/$name.profile" \
        >"$work/$tag-pcheck.log" 2>&1 ||
        { cat "$work/$tag-pcheck.log" >&2; die "$where: plugin check"; }
    POLYDM_PLUGIN_PATH=$work/$tag-gcc:$plugindir polydm plugin check \
        "$work/$tag-gcc/$name.so" --profile "$src/$name.profile" --json \
        >"$work/$tag-pcheck.json" 2>&1 ||
        { cat "$work/$tag-pcheck.json" >&2; die "$where: plugin check --json"; }
    grep -q '"failures": *0' "$work/$tag-pcheck.json" ||
        { cat "$work/$tag-pcheck.json" >&2; die "$where: plugin check --json: failures"; }
    ok "plugin check passes $name.so (text and --json)"
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

    check_project "$kind" "$name" "$cname" "$src" "$kind" "$kind"
done

# Sets, in the profile PROFILE that `plugin new` wrote, what the block
# BLOCK of the document says: the section [plugin NAME] is replaced, the
# keys of other sections set (a section the profile lacks is appended);
# @DIR@ is the project directory, as in the scaffold's own sample.
merge_profile() {
    awk -v blockf="$2" -v own="[plugin $3]" -v dir="$4" '
        function key(l) { sub(/[ \t]*=.*/, "", l); sub(/^[ \t]+/, "", l); return l }
        function flush(sec,   i) {  # the block keys of sec not yet printed
            for (i = 1; i <= nb; i++)
                if (bsec[i] == sec && !done[i]) { print bline[i]; done[i] = 1 }
        }
        BEGIN {
            sec = ""
            while ((getline l < blockf) > 0) {
                gsub(/@DIR@/, dir, l)
                if (l ~ /^\[/) { sec = l; seen[sec] = 0; order[++ns] = sec; continue }
                if (l ~ /^[ \t]*(#|$)/) continue
                nb++; bsec[nb] = sec; bline[nb] = l; bkey[sec SUBSEP key(l)] = nb
            }
        }
        /^\[/ {
            flush(cur); cur = $0; skip = cur == own
            if (cur in seen) seen[cur] = 1
            print
            if (skip) flush(cur)  # our section: only the lines of the block
            next
        }
        skip { next }
        /^[ \t]*[^#[ \t]/ && ((cur SUBSEP key($0)) in bkey) { i = bkey[cur SUBSEP key($0)]; if (!done[i]) print bline[i]; done[i] = 1; next }
        { print }
        END {
            flush(cur)
            for (j = 1; j <= ns; j++)
                if (!seen[order[j]]) { print ""; print order[j]; flush(order[j]) }
        }' "$1" >"$1.new" && mv "$1.new" "$1"
}

# The worked examples of the document (the plugin guide), as a reader
# makes them: `polydm plugin new NAME --kind KIND`, then the document's
# files in place of the scaffold's; then the same builds and checks.
if [ -n "$doc" ]; then
    step "worked examples of $doc"
    sh "$source/tests/docs/extract_examples.sh" "$source/$doc" "$work/doc" ||
        die "$doc: cannot extract the worked examples"
    doc_lines=$work/doc/lines
    while read -r name kind line same <&3; do
        cname=$(printf '%s' "$name" | tr - _)
        src=$work/doc-$name
        where="$doc:$line (worked example $name)"
        step "$where: polydm plugin new $name --kind $kind, then the document's files"
        polydm plugin new "$name" --kind "$kind" --dir "$src" >/dev/null ||
            die "$where: plugin new"
        for f in "$work/doc/$name"/*; do
            case $f in
            *.profile) merge_profile "$src/${f##*/}" "$f" "$name" "$src" ;;
            *) cp "$f" "$src/" ;;
            esac
        done
        ok "$(cd "$work/doc/$name" && ls | tr '\n' ' ')from the document"
        # An example that is also a directory of the source tree (the
        # hello-plugin) is the same code, byte for byte.
        if [ -n "$same" ]; then
            for f in "$work/doc/$name"/*.c; do
                cmp -s "$f" "$source/$same/${f##*/}" ||
                    die "$where: ${f##*/} differs from $same/${f##*/}: $(diff "$f" "$source/$same/${f##*/}" | head -5)"
            done
            ok "its C files are those of $same"
        fi
        doc_ex=$name
        check_project "$kind" "$name" "$cname" "$src" "doc-$name-build" "$where"
        doc_ex=''
    done 3<"$work/doc/examples"
fi

step "PASS: scaffolded, built (CMake, make; GCC, Clang), unit-tested, conformance-checked, session-tested and loaded: ${kinds:-no scaffolded kind}${doc:+; the worked examples of $doc}"
