#!/bin/sh
# check_package.sh: build the Debian packages and use them as a new user
# would, without root privileges or a container.
#
#  1. configure the `deb` preset into WORK/build (prefix /usr, hardened,
#     no tests), build it and make the packages (CPack DEB)
#  2. each package's control fields (name, version from the project,
#     dependencies: the exact library version for dev and the CLI, and
#     every shlibdeps dependency installed on this machine in a version
#     that satisfies it) and its files (expected ones there, none in two
#     packages)
#  3. lintian finds nothing at warning level or above; what the packages
#     override is explained in packaging/README.md (skipped with a SKIP
#     line when lintian is not installed)
#  4. the packages unpacked into a clean root (`dpkg-deb -x`): from there
#     `polydm profile check` of every shipped profile, `plugins list`, and a
#     real DM session against the dev build's polydm-testserver on
#     127.0.0.1 (session.scn: DevInfo of the installed profile on the wire,
#     a node added and read back).  The root's binaries are told where their
#     plugins and library are (POLYDM_PLUGIN_PATH, LD_LIBRARY_PATH):
#     finding them relative to the install is issue 15 item 1, not this
#     test.
#  5. an integrator program linked against the root's libpolydm through
#     pkg-config runs; examples/hello-plugin builds against the root's
#     libpolydm-dev with CMake (find_package) and with make + pkg-config,
#     its unit test passes, and the root's polydm inspects the module.
#
# Run by ctest (label "package", tests/package/CMakeLists.txt).  Exits 77
# (ctest: skipped) when dpkg-deb is missing.
set -eu

source='' work='' testserver='' cmake=cmake ctest=ctest cc=cc make=make
pkgconfig=pkg-config
for arg in "$@"; do
    val=${arg#*=}
    case $arg in
    --source=*) source=$val ;;
    --work=*) work=$val ;;
    --testserver=*) testserver=$val ;;
    --cmake=*) cmake=$val ;;
    --ctest=*) ctest=$val ;;
    --cc=*) cc=$val ;;
    --make=*) make=$val ;;
    --pkg-config=*) pkgconfig=$val ;;
    *) echo "check_package.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done
if [ -z "$source" ] || [ -z "$work" ] || [ -z "$testserver" ]; then
    echo "usage: check_package.sh --source=DIR --work=DIR --testserver=BIN [--OPTION=VALUE...]" >&2
    exit 2
fi
for tool in dpkg-deb dpkg-shlibdeps dpkg-query; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool not found (scripts/setup-deps.sh installs it)"
        exit 77
    fi
done

step() { printf '\n== %s\n' "$*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok    $*"; }

rm -rf "$work"
mkdir -p "$work"
build=$work/build root=$work/root

# ---- 1. build the packages ------------------------------------------------
step "configure, build and package the deb preset in $build"
(cd "$source" && "$cmake" --preset deb -B "$build" -DCMAKE_C_COMPILER="$cc") \
    >"$work/configure.log" 2>&1 ||
    { cat "$work/configure.log" >&2; die "configure (preset deb) failed"; }
"$cmake" --build "$build" -j 2 >"$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log" >&2; die "build failed"; }
"$cmake" --build "$build" --target package >"$work/package.log" 2>&1 ||
    { tail -40 "$work/package.log" >&2; die "cpack failed"; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
release=$(sed -n 's/^PDM_DEB_RELEASE:STRING=//p' "$build/CMakeCache.txt")
abi=$(sed -n 's/^#define PDM_ABI_MAJOR \([0-9]*\).*/\1/p' "$source/sdk/include/polydm/plugin.h")
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
debver=$version-$release
lib=libpolydm$abi
for p in "$lib" libpolydm-dev polydm; do
    f=$build/${p}_${debver}_$arch.deb
    [ -f "$f" ] || die "no package $f (made: $(cd "$build" && ls ./*.deb 2>/dev/null | tr '\n' ' '))"
    ok "$(basename "$f")"
done
deb() { echo "$build/${1}_${debver}_$arch.deb"; }

# ---- 2. control fields and files ----------------------------------------
step "control fields"
field() { dpkg-deb -f "$(deb "$1")" "$2"; }
for p in "$lib" libpolydm-dev polydm; do
    [ "$(field "$p" Package)" = "$p" ] || die "$p: Package is $(field "$p" Package)"
    [ "$(field "$p" Version)" = "$debver" ] || die "$p: Version $(field "$p" Version), expected $debver"
    [ "$(field "$p" Architecture)" = "$arch" ] || die "$p: Architecture $(field "$p" Architecture)"
    [ -n "$(field "$p" Maintainer)" ] || die "$p: no Maintainer"
    [ -n "$(field "$p" Description)" ] || die "$p: no Description"
    ok "$p $debver $arch: $(field "$p" Description | head -1)"
done
case ", $(field libpolydm-dev Depends), " in
*", $lib (= $debver), "*) ok "libpolydm-dev depends on $lib (= $debver)" ;;
*) die "libpolydm-dev: Depends '$(field libpolydm-dev Depends)' lacks $lib (= $debver)" ;;
esac
case ", $(field polydm Depends), " in
*", $lib (= $debver), "*) ok "polydm depends on $lib (= $debver)" ;;
*) die "polydm: Depends '$(field polydm Depends)' lacks $lib (= $debver)" ;;
esac
# dpkg-shlibdeps' dependencies: present for the binaries that link them,
# and each one satisfiable by what this machine has installed (they are
# real package names and versions, not guesses).
for want in "$lib:libxml2" "$lib:libgnutls30" "$lib:libsqlite3-0" "$lib:libc6" \
    "polydm:libcurl3-gnutls" "polydm:libc6"; do
    p=${want%%:*} d=${want#*:}
    case ", $(field "$p" Depends), " in
    *", $d "*|*", $d, "*) ;;
    *) die "$p: Depends '$(field "$p" Depends)' lacks $d (shlibdeps)" ;;
    esac
done
for p in "$lib" polydm; do
    field "$p" Depends | tr ',' '\n' | sed 's/^ *//' | while read -r dep; do
        name=${dep%% *}
        case $name in "$lib"|libpolydm-dev|polydm) continue ;; esac
        have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null) ||
            die "$p: depends on $name, which is not a package installed here"
        rel=$(echo "$dep" | sed -n 's/.*(\(.*\) \(.*\))/\1/p')
        ver=$(echo "$dep" | sed -n 's/.*(\(.*\) \(.*\))/\2/p')
        if [ -n "$rel" ]; then
            case $rel in '>=') op=ge ;; '=') op=eq ;; '<=') op=le ;; '>>') op=gt ;; '<<') op=lt ;; *) die "$p: relation $rel" ;; esac
            dpkg --compare-versions "$have" "$op" "$ver" ||
                die "$p: depends on $dep, this machine has $name $have"
        fi
        echo "ok    $p: $dep (installed: $have)"
    done
done
[ "$(field "$lib" Section)" = libs ] || die "$lib: Section $(field "$lib" Section)"
dpkg-deb --ctrl-tarfile "$(deb "$lib")" | tar -tf - | grep -qx './shlibs' ||
    die "$lib has no shlibs control file"
dpkg-deb -I "$(deb "$lib")" shlibs | grep -qx "libpolydm $abi $lib (= $debver)" ||
    die "$lib: shlibs is '$(dpkg-deb -I "$(deb "$lib")" shlibs)'"
ok "$lib: shlibs 'libpolydm $abi $lib (= $debver)'"

step "files of each package"
for p in "$lib" libpolydm-dev polydm; do
    dpkg-deb -c "$(deb "$p")" | awk '$1 !~ /^d/ {print $6}' | sed 's#^\./#/#' |
        sort >"$work/$p.files"
done
dup=$(sort "$work"/*.files | uniq -d)
[ -z "$dup" ] || die "files in more than one package: $dup"
ok "no file is in two packages"
ma=/usr/lib/$multiarch
expect() { # expect <package> <file or glob>
    # shellcheck disable=SC2254 # the pattern is meant to match
    while read -r f; do case $f in $2) ok "$1: $f"; return 0 ;; esac; done <"$work/$1.files"
    die "$1: no file matches $2"
}
expect "$lib" "$ma/libpolydm.so.$abi"
for m in spec-authority operator-root 3gpp2-takeover cp-bootstrap \
    enterprise-whitelist terminal-policy lost-device-lock; do
    expect "$lib" "$ma/polydm/plugins/$m.so"
done
expect "$lib" /usr/share/polydm/profiles/default.profile
expect "$lib" /usr/share/polydm/profiles/gsm-operator.profile
expect libpolydm-dev "$ma/libpolydm.so"
expect libpolydm-dev /usr/include/polydm/polydm.h
expect libpolydm-dev /usr/include/polydm/plugin.h
expect libpolydm-dev /usr/include/polydm/testing/fake_host.h
expect libpolydm-dev "$ma/libpolydm_sdk_testing.a"
expect libpolydm-dev "$ma/pkgconfig/polydm.pc"
expect libpolydm-dev "$ma/pkgconfig/polydm-sdk.pc"
expect libpolydm-dev "$ma/cmake/polydm/polydmConfig.cmake"
expect libpolydm-dev /usr/bin/polydm-testserver
expect libpolydm-dev /usr/bin/polydm-plugin-test
expect libpolydm-dev /usr/share/polydm/testserver/README.md
expect libpolydm-dev /usr/share/polydm/templates/mo/@CNAME@.c
expect polydm /usr/bin/polydm
expect polydm "*/systemd/system/polydm-agent.service"
expect polydm /usr/share/man/man1/polydm.1.gz
expect polydm /usr/share/man/man5/polydm.profile.5.gz
expect polydm /usr/share/man/man8/polydm-agent.8.gz
for p in "$lib" libpolydm-dev polydm; do
    expect "$p" "/usr/share/doc/$p/copyright"
    expect "$p" "/usr/share/doc/$p/changelog.Debian.gz"
done
if grep -q '^/usr/bin/polydm$' "$work/$lib.files"; then die "$lib ships the CLI"; fi

# ---- 3. lintian -----------------------------------------------------------
step "lintian"
if command -v lintian >/dev/null; then
    # lintian warns when run as root; that line is not about the packages.
    if ! lintian --fail-on error,warning --display-info \
        "$(deb "$lib")" "$(deb libpolydm-dev)" "$(deb polydm)" \
        >"$work/lintian.log" 2>&1; then
        grep -v 'running with root privileges' "$work/lintian.log" >&2
        die "lintian: errors or warnings (explain an intended one in packaging/README.md and packaging/lintian/)"
    fi
    grep -v 'running with root privileges' "$work/lintian.log" | sed 's/^/info  /'
    ok "lintian: no error or warning"
else
    echo "SKIP: lintian not installed (scripts/setup-deps.sh installs it): not checked"
fi

# ---- 4. unpacked into a clean root ---------------------------------------
step "unpack into $root"
mkdir -p "$root"
for p in "$lib" libpolydm-dev polydm; do
    dpkg-deb -x "$(deb "$p")" "$root"
done
ok "unpacked $(cat "$work"/*.files | wc -l) files"
POLYDM=$root/usr/bin/polydm
export LD_LIBRARY_PATH="$root$ma${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export POLYDM_PLUGIN_PATH="$root$ma/polydm/plugins"
export HOME="$work/home"
mkdir -p "$HOME"
profiles=$root/usr/share/polydm/profiles
"$POLYDM" --version | grep -qx "polydm $version" ||
    die "polydm --version: $("$POLYDM" --version)"
ok "polydm --version: polydm $version"

step "polydm profile check (every shipped profile, from the root)"
for f in "$profiles"/*.profile; do
    "$POLYDM" --profile "$f" profile check "$f" >"$work/check.log" 2>&1 ||
        { cat "$work/check.log" >&2; die "profile check $f"; }
    ok "profile check $(basename "$f")"
done
"$POLYDM" --profile "$profiles/default.profile" --state "$work/state-list" \
    plugins list >"$work/plugins.log" 2>&1 ||
    { cat "$work/plugins.log" >&2; die "plugins list"; }
grep -q "$ma/polydm/plugins/spec-authority.so" "$work/plugins.log" ||
    { cat "$work/plugins.log" >&2; die "plugins list: spec-authority not loaded from the root"; }
ok "plugins list: the root's modules"

step "a DM session against polydm-testserver on 127.0.0.1"
scn=$source/tests/package/session.scn
"$testserver" --scenario "$scn" --port 0 --once --no-ipv6 --timeout 20 \
    >"$work/server.out" 2>"$work/server.err" &
srv=$!
trap 'kill "$srv" 2>/dev/null || :' EXIT
i=0
while ! grep -q '^listening on' "$work/server.out" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -le 200 ] || { cat "$work/server.err" >&2; die "the test server did not start"; }
    kill -0 "$srv" 2>/dev/null || { cat "$work/server.err" >&2; die "the test server exited"; }
    sleep 0.05
done
url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/server.out" | head -1)
sed "s#@URL@#$url#" "$source/tests/package/tree.tnds.xml" >"$work/tree.xml"
# The installed default profile, with the test's factory tree and plain
# HTTP on loopback.
awk -v f="$work/tree.xml" '/^\[profile\]/ {print; print "factory_tree = " f; next} {print}' \
    "$profiles/default.profile" >"$work/device.profile"
printf '\n[transport]\nallow_plain_http = true\n' >>"$work/device.profile"
if ! "$POLYDM" --profile "$work/device.profile" --state "$work/state" \
    session --server pkg.server >"$work/session.out" 2>"$work/session.err"; then
    cat "$work/session.err" "$work/server.err" >&2
    die "polydm session failed"
fi
rc=0
wait "$srv" || rc=$?
trap - EXIT
[ "$rc" -eq 0 ] || { cat "$work/server.err" >&2; die "the test server's verdict: exit $rc"; }
ok "session with pkg.server: $(tail -n 1 "$work/server.err")"
got=$("$POLYDM" --profile "$work/device.profile" --state "$work/state" \
    tree get ./Pkg/Installed 2>&1) || die "tree get ./Pkg/Installed: $got"
[ "$got" = yes ] || die "tree get ./Pkg/Installed: '$got', expected 'yes'"
ok "the server's node is in the store: ./Pkg/Installed = yes"

# ---- 5. building against the root -----------------------------------------
step "an integrator program against the root's libpolydm (pkg-config polydm)"
export PKG_CONFIG_PATH="$root$ma/pkgconfig"
cat >"$work/version.c" <<'EOF'
#include <stdio.h>
#include <polydm/polydm.h>
int main(void) { printf("%s\n", pdm_version()); return 0; }
EOF
# shellcheck disable=SC2046 # pkg-config output is a list of flags
"$cc" -std=c11 -Wall -Wextra -Werror $("$pkgconfig" --cflags polydm) \
    -o "$work/version" "$work/version.c" $("$pkgconfig" --libs polydm) ||
    die "cannot build against the root's polydm.pc"
got=$("$work/version")
[ "$got" = "$version" ] || die "pdm_version() = $got, expected $version"
ldd "$work/version" | grep -q "$root$ma/libpolydm.so.$abi" ||
    die "the program did not load the root's libpolydm.so.$abi: $(ldd "$work/version")"
ok "pdm_version() = $got from $root$ma/libpolydm.so.$abi"

step "examples/hello-plugin against the root's libpolydm-dev"
cp -r "$source/examples/hello-plugin" "$work/hello"
"$cmake" -S "$work/hello" -B "$work/hello/build" -DCMAKE_PREFIX_PATH="$root/usr" \
    -DCMAKE_C_COMPILER="$cc" >"$work/hello-cmake.log" 2>&1 &&
    "$cmake" --build "$work/hello/build" >>"$work/hello-cmake.log" 2>&1 &&
    "$ctest" --test-dir "$work/hello/build" --output-on-failure >>"$work/hello-cmake.log" 2>&1 ||
    { cat "$work/hello-cmake.log" >&2; die "hello-plugin with CMake"; }
grep -q "polydm_DIR:PATH=$root$ma/cmake/polydm" "$work/hello/build/CMakeCache.txt" ||
    die "find_package(polydm) did not use the root: $(grep polydm_DIR "$work/hello/build/CMakeCache.txt")"
ok "CMake: find_package(polydm) from $root$ma/cmake/polydm, hello_policy_test passed"
"$make" -C "$work/hello" CC="$cc" PKG_CONFIG="$pkgconfig" all check \
    >"$work/hello-make.log" 2>&1 ||
    { cat "$work/hello-make.log" >&2; die "hello-plugin with make + pkg-config"; }
ok "make + pkg-config polydm-sdk: hello-policy.so, make check passed"
"$POLYDM" plugins inspect "$work/hello/build/hello-policy.so" >"$work/inspect.log" 2>&1 ||
    { cat "$work/inspect.log" >&2; die "polydm plugins inspect hello-policy.so"; }
grep -q 'hello-policy' "$work/inspect.log" || die "inspect: $(cat "$work/inspect.log")"
ok "the root's polydm inspects hello-policy.so"

printf '\nall package checks passed\n'
