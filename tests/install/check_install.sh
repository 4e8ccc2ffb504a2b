#!/bin/sh
# check_install.sh: install a polydm build into a scratch prefix and prove
# the installed SDK is usable by a third party.
#
#  1. `cmake --install BUILD --prefix WORK/prefix`
#  2. the expected files are there (library, headers and only the public
#     ones, pkg-config files, CMake package, plugins, profiles, CLI), and
#     the pkg-config files point into that prefix (they are relocatable)
#  3. examples/hello-plugin, copied out of the source tree, builds against
#     the prefix with CMake (find_package via CMAKE_PREFIX_PATH) and with
#     make + pkg-config (PKG_CONFIG_PATH); its unit test passes and
#     `nm -D --defined-only hello-policy.so` shows exactly pdm_plugin_entry
#     in both builds
#  4. `PREFIX/bin/polydm plugins inspect hello-policy.so` exits 0 and shows
#     the plugin's name and its policy component (skipped, with a SKIP
#     line, only while the CLI has no `plugins inspect`)
#
# Run by ctest (label "install", tests/install/CMakeLists.txt), or by hand:
#   tests/install/check_install.sh --build=build --source=.
# Everything happens under BUILD/tests/install/work (recreated each run).
set -eu

build='' source='' work=''
cmake=cmake ctest=ctest generator='' cc=${CC:-cc} nm=nm pkgconfig=pkg-config
make=make libdir=lib includedir=include bindir=bin datadir=share
plugins=spec-authority static_plugins=OFF sanitize=''

for arg in "$@"; do
    val=${arg#*=}
    case $arg in
    --build=*) build=$val ;;
    --source=*) source=$val ;;
    --work=*) work=$val ;;
    --cmake=*) cmake=$val ;;
    --ctest=*) ctest=$val ;;
    --generator=*) generator=$val ;;
    --cc=*) cc=$val ;;
    --nm=*) nm=$val ;;
    --pkg-config=*) pkgconfig=$val ;;
    --make=*) make=$val ;;
    --libdir=*) libdir=$val ;;
    --includedir=*) includedir=$val ;;
    --bindir=*) bindir=$val ;;
    --datadir=*) datadir=$val ;;
    --plugins=*) plugins=$val ;;
    --static-plugins=*) static_plugins=$val ;;
    --sanitize=*) sanitize=$val ;;
    *) echo "check_install.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done
if [ -z "$build" ] || [ -z "$source" ]; then
    echo "usage: check_install.sh --build=DIR --source=DIR [--OPTION=VALUE...]" >&2
    exit 2
fi
build=$(cd "$build" && pwd)
source=$(cd "$source" && pwd)
: "${work:=$build/tests/install/work}"
prefix=$work/prefix

step() { printf '\n== %s\n' "$*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
missing=0
need() { # need <path relative to prefix> <what>
    if [ -e "$prefix/$1" ] || [ -L "$prefix/$1" ]; then
        echo "ok    $1"
    else
        echo "FAIL: missing $1 ($2)" >&2
        missing=$((missing + 1))
    fi
}
need_glob() { # need_glob <glob relative to prefix> <what>
    # shellcheck disable=SC2086 # the glob is meant to expand
    set -- "$1" "$2" "$prefix"/$1
    if [ -e "$3" ]; then
        echo "ok    $1"
    else
        echo "FAIL: nothing matches $1 ($2)" >&2
        missing=$((missing + 1))
    fi
}
# The dynamic symbols of a module, one name per line, without versions and
# without version-definition symbols (type A).
exported() {
    "$nm" -D --defined-only "$1" |
        awk '$(NF-1) != "A" { sub(/@.*/, "", $NF); print $NF }' | sort -u
}
check_only_entry() { # check_only_entry <module>
    syms=$(exported "$1")
    if [ "$syms" != "pdm_plugin_entry" ]; then
        die "$1 exports [$(echo "$syms" | tr '\n' ' ')], expected exactly [pdm_plugin_entry]"
    fi
    echo "ok    $1 exports exactly pdm_plugin_entry"
}

# In a sanitizer build the installed fake host archive is instrumented, so
# the example's programs link the sanitizer runtime (link flags only: the
# example's own code needs no instrumentation).
san_flags=''
if [ -n "$sanitize" ]; then
    san_flags="-fsanitize=$sanitize"
fi

rm -rf "$work"
mkdir -p "$work"

# ---- 1. install --------------------------------------------------------
step "cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; die "cmake --install failed"; }
echo "ok    installed $(grep -c 'Installing:' "$work/install.log") files"

# ---- 2. expected files -------------------------------------------------
step "expected files under $prefix"
need "$libdir/libpolydm.so" "integrator library (dev symlink)"
need_glob "$libdir/libpolydm.so.[0-9]*" "integrator library (SONAME)"
need "$libdir/libpolydm_sdk_testing.a" "fake host for plugin unit tests"
for h in "$source"/sdk/include/polydm/*.h "$source"/core/include/polydm/*.h; do
    [ -e "$h" ] || continue
    need "$includedir/polydm/$(basename "$h")" "public header"
done
need "$includedir/polydm/testing/fake_host.h" "fake host header"
need "$libdir/pkgconfig/polydm.pc" "pkg-config, integrators"
need "$libdir/pkgconfig/polydm-sdk.pc" "pkg-config, plugin authors"
for f in polydmConfig.cmake polydmConfigVersion.cmake polydmTargets.cmake \
    PolydmPlugin.cmake pdm_plugin.map; do
    need "$libdir/cmake/polydm/$f" "CMake package"
done
if [ "$static_plugins" = ON ]; then
    echo "note  PDM_STATIC_PLUGINS=ON: plugins are linked into libpolydm, no modules"
else
    for p in $plugins; do
        need "$libdir/polydm/plugins/$p.so" "shipped plugin module"
    done
fi
need_glob "$datadir/polydm/profiles/*.profile" "market profiles"
need "$datadir/polydm/profiles/default.profile" "default profile"
need "$bindir/polydm" "CLI / reference agent"
[ "$missing" -eq 0 ] || die "$missing expected file(s) missing from the install"

# Only public headers are installed: nothing from core/src.
extra=
for h in "$prefix/$includedir"/polydm/*.h; do
    n=$(basename "$h")
    if [ ! -e "$source/sdk/include/polydm/$n" ] &&
        [ ! -e "$source/core/include/polydm/$n" ]; then
        extra="$extra $n"
    fi
done
[ -z "$extra" ] || die "non-public headers installed:$extra"
echo "ok    only public headers under $includedir/polydm"

step "pkg-config files resolve into the prefix"
PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
export PKG_CONFIG_PATH
"$pkgconfig" --exists polydm-sdk polydm || die "pkg-config does not find polydm/polydm-sdk"
real() { (cd "$1" 2>/dev/null && pwd -P) || echo "$1 (does not exist)"; }
want_inc=$(real "$prefix/$includedir")
got_inc=$(real "$("$pkgconfig" --variable=includedir polydm-sdk)")
[ "$got_inc" = "$want_inc" ] ||
    die "polydm-sdk.pc includedir is $got_inc, expected $want_inc"
got_plugindir=$(real "$("$pkgconfig" --variable=plugindir polydm-sdk)")
if [ "$static_plugins" != ON ]; then
    [ "$got_plugindir" = "$(real "$prefix/$libdir/polydm/plugins")" ] ||
        die "polydm-sdk.pc plugindir is $got_plugindir"
fi
pluginmap=$("$pkgconfig" --variable=pluginmap polydm-sdk)
[ -f "$pluginmap" ] || die "polydm-sdk.pc pluginmap $pluginmap does not exist"
case " $("$pkgconfig" --libs polydm) " in
*" -shared "* | *version-script*)
    die "pkg-config --libs polydm has plugin-module flags: $("$pkgconfig" --libs polydm)" ;;
esac
got_lib=$("$pkgconfig" --libs polydm)
echo "ok    polydm:     $("$pkgconfig" --cflags polydm) $got_lib"
echo "ok    polydm-sdk: $("$pkgconfig" --cflags --libs polydm-sdk)"

# ---- 3a. hello-plugin with CMake ----------------------------------------
step "examples/hello-plugin with CMake (find_package, CMAKE_PREFIX_PATH)"
cp -R "$source/examples/hello-plugin" "$work/cmake-src"
rm -rf "$work/cmake-src/build"
set -- -S "$work/cmake-src" -B "$work/cmake-build" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
[ -z "$generator" ] || set -- "$@" -G "$generator"
[ -z "$san_flags" ] || set -- "$@" "-DCMAKE_EXE_LINKER_FLAGS=$san_flags"
env -u CMAKE_PREFIX_PATH "$cmake" "$@" >"$work/cmake-configure.log" 2>&1 ||
    { cat "$work/cmake-configure.log" >&2; die "configuring hello-plugin failed"; }
pkgdir=$(sed -n 's/^polydm_DIR:PATH=//p' "$work/cmake-build/CMakeCache.txt")
[ "$(real "$pkgdir")" = "$(real "$prefix/$libdir/cmake/polydm")" ] ||
    die "hello-plugin found polydm in '$pkgdir', not in the installed prefix"
echo "ok    find_package(polydm) used $pkgdir"
"$cmake" --build "$work/cmake-build" >"$work/cmake-build.log" 2>&1 ||
    { cat "$work/cmake-build.log" >&2; die "building hello-plugin with CMake failed"; }
echo "ok    built"
(cd "$work/cmake-build" && "$ctest" --output-on-failure) ||
    die "hello-plugin unit test failed (CMake build)"
check_only_entry "$work/cmake-build/hello-policy.so"

# ---- 3b. hello-plugin with make + pkg-config ----------------------------
step "examples/hello-plugin with make + pkg-config (PKG_CONFIG_PATH)"
mkdir -p "$work/make-src"
cp "$source/examples/hello-plugin/Makefile" "$source"/examples/hello-plugin/*.c \
    "$work/make-src/"
# CFLAGS/LDFLAGS through the environment: the Makefile appends to them.
CFLAGS="-O2 -g" LDFLAGS="$san_flags" \
    "$make" -C "$work/make-src" CC="$cc" PKG_CONFIG="$pkgconfig" all check ||
    die "hello-plugin with make failed"
check_only_entry "$work/make-src/hello-policy.so"

# ---- 4. the installed CLI reads the descriptor --------------------------
step "$bindir/polydm plugins inspect hello-policy.so"
cli=$prefix/$bindir/polydm
if ! "$cli" plugins inspect --help >"$work/inspect-help.txt" 2>&1; then
    echo "SKIP: polydm plugins inspect not available yet"
else
    for so in "$work/cmake-build/hello-policy.so" "$work/make-src/hello-policy.so"; do
        rc=0
        "$cli" plugins inspect "$so" >"$work/inspect.txt" 2>&1 || rc=$?
        sed 's/^/      /' "$work/inspect.txt"
        [ "$rc" -eq 0 ] || die "polydm plugins inspect $so exited $rc"
        grep -Eq '^name:[[:space:]]+hello-policy[[:space:]]*$' "$work/inspect.txt" ||
            die "inspect output has no 'name: hello-policy' line"
        grep -Eq '^component:[[:space:]]+policy([[:space:]]|$)' "$work/inspect.txt" ||
            die "inspect output has no 'component: policy ...' line"
        grep -Eq '^option:[[:space:]]+protect([[:space:]]|$)' "$work/inspect.txt" ||
            die "inspect output has no 'option: protect ...' line"
        grep -Eq '^abi:[[:space:]]+[0-9]+\.[0-9]+' "$work/inspect.txt" ||
            die "inspect output has no 'abi: N.M' line"
        echo "ok    inspect $so"
    done
fi

step "PASS: the installed SDK builds, tests and ships a third-party plugin"
