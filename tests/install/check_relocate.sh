#!/bin/sh
# check_relocate.sh: a polydm install that has been moved, and the build
# tree, find their plugins and default profile by themselves (issue 15
# item 1; the search order is in docs/integrator-guide.md).
#
#  1. `cmake --install BUILD --prefix WORK/first`, then `mv WORK/first
#     WORK/moved`: the configured prefix and the first one are both gone.
#     With POLYDM_PLUGIN_PATH and POLYDM_PROFILE unset and no --profile or
#     --plugin-path, from WORK/moved:
#       - `polydm plugins list` loads the default profile's plugins from
#         WORK/moved/<libdir>/polydm/plugins (exit 0)
#       - `polydm profile check` of the default profile passes
#       - a DM session against polydm-testserver on 127.0.0.1
#         (tests/package/session.scn: the installed default profile's
#         plugins, its DevInfo on the wire, a node added and read back)
#  2. a third-party plugin: examples/hello-plugin built with make +
#     pkg-config against WORK/moved and `make install`ed into pkg-config's
#     `plugindir` is found by the moved polydm (a profile naming it, no
#     search path given), and the directory is the one polydm searches
#  3. the build tree: BUILD/bin/polydm with nothing set runs `plugins list`
#     on the build's default profile with the build's plugins, and
#     `profile check` of it passes
#
# Run by ctest (label "install", tests/install/CMakeLists.txt).  Everything
# happens under WORK (recreated each run).
set -eu

build='' source='' work='' cmake=cmake testserver='' pkgconfig=pkg-config
make=make cc=${CC:-cc} libdir=lib bindir=bin datadir=share static_plugins=OFF
sanitize=''
for arg in "$@"; do
    val=${arg#*=}
    case $arg in
    --build=*) build=$val ;;
    --source=*) source=$val ;;
    --work=*) work=$val ;;
    --cmake=*) cmake=$val ;;
    --testserver=*) testserver=$val ;;
    --pkg-config=*) pkgconfig=$val ;;
    --make=*) make=$val ;;
    --cc=*) cc=$val ;;
    --libdir=*) libdir=$val ;;
    --bindir=*) bindir=$val ;;
    --datadir=*) datadir=$val ;;
    --static-plugins=*) static_plugins=$val ;;
    --sanitize=*) sanitize=$val ;;
    *) echo "check_relocate.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done
if [ -z "$build" ] || [ -z "$source" ] || [ -z "$work" ]; then
    echo "usage: check_relocate.sh --build=DIR --source=DIR --work=DIR [--OPTION=VALUE...]" >&2
    exit 2
fi
build=$(cd "$build" && pwd -P)
source=$(cd "$source" && pwd -P)

step() { printf '\n== %s\n' "$*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok    $*"; }
real() { (cd "$1" 2>/dev/null && pwd -P) || echo "$1 (does not exist)"; }

# Nothing tells polydm where anything is.
unset POLYDM_PLUGIN_PATH POLYDM_PROFILE POLYDM_STATE_DIR XDG_STATE_HOME
unset LD_LIBRARY_PATH PKG_CONFIG_PATH

rm -rf "$work"
mkdir -p "$work/home"
HOME=$work/home
export HOME

# ---- 1. install, move, run -------------------------------------------------
step "cmake --install, then mv to another directory"
"$cmake" --install "$build" --prefix "$work/first" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; die "cmake --install failed"; }
mv "$work/first" "$work/moved"
prefix=$(real "$work/moved")
cli=$prefix/$bindir/polydm
plugindir=$prefix/$libdir/polydm/plugins
profile=$prefix/$datadir/polydm/profiles/default.profile
[ -x "$cli" ] || die "no $cli"
[ -f "$profile" ] || die "no $profile"
ok "installed to $work/first, moved to $prefix"

step "polydm plugins list (default profile, no search path)"
"$cli" --state "$work/state-list" plugins list >"$work/plugins.log" 2>&1 ||
    { cat "$work/plugins.log" >&2; die "plugins list exited $?"; }
sed 's/^/      /' "$work/plugins.log"
head -n 1 "$work/plugins.log" | grep -q '^profile ' ||
    die "plugins list did not open a profile"
if [ "$static_plugins" != ON ]; then
    grep -q "\[$plugindir/spec-authority.so\]" "$work/plugins.log" ||
        die "plugins list: spec-authority not loaded from $plugindir"
    if grep '\.so\]' "$work/plugins.log" | grep -v "\[$plugindir/" >/dev/null; then
        die "plugins list: a module from outside the moved install"
    fi
fi
ok "plugins list: the moved install's default profile and plugins"

step "polydm profile check (the default profile)"
"$cli" profile check "$profile" >"$work/check.log" 2>&1 ||
    { cat "$work/check.log" >&2; die "profile check exited $?"; }
ok "profile check $profile"

if [ -n "$testserver" ]; then
    step "a DM session against polydm-testserver on 127.0.0.1"
    "$testserver" --scenario "$source/tests/package/session.scn" --port 0 \
        --once --no-ipv6 --timeout 20 >"$work/server.out" 2>"$work/server.err" &
    srv=$!
    trap 'kill "$srv" 2>/dev/null || :' EXIT
    i=0
    while ! grep -q '^listening on' "$work/server.out" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -le 400 ] || { cat "$work/server.err" >&2; die "the test server did not start"; }
        kill -0 "$srv" 2>/dev/null || { cat "$work/server.err" >&2; die "the test server exited"; }
        sleep 0.05
    done
    url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/server.out" | head -n 1)
    sed "s#@URL@#$url#" "$source/tests/package/tree.tnds.xml" >"$work/tree.xml"
    # The moved default profile with the test's factory tree and plain
    # HTTP on loopback; its plugins come from the moved install.
    awk -v f="$work/tree.xml" '/^\[profile\]/ {print; print "factory_tree = " f; next} {print}' \
        "$profile" >"$work/device.profile"
    printf '\n[transport]\nallow_plain_http = true\n' >>"$work/device.profile"
    if ! "$cli" --profile "$work/device.profile" --state "$work/state" \
        session --server pkg.server >"$work/session.out" 2>"$work/session.err"; then
        cat "$work/session.err" "$work/server.err" >&2
        die "polydm session failed"
    fi
    rc=0
    wait "$srv" || rc=$?
    trap - EXIT
    [ "$rc" -eq 0 ] || { cat "$work/server.err" >&2; die "the test server's verdict: exit $rc"; }
    got=$("$cli" --profile "$work/device.profile" --state "$work/state" \
        tree get ./Pkg/Installed 2>&1) || die "tree get ./Pkg/Installed: $got"
    [ "$got" = yes ] || die "tree get ./Pkg/Installed: '$got', expected 'yes'"
    ok "session with pkg.server: $(tail -n 1 "$work/server.err"); ./Pkg/Installed = yes"
else
    echo "SKIP: no polydm-testserver in this build (session step)"
fi

# ---- 1b. an integrator program on the moved libpolydm.so --------------------
step "an integrator program linked against the moved libpolydm.so"
PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
export PKG_CONFIG_PATH
cat >"$work/paths.c" <<'EOF'
#include <stdio.h>
#include <polydm/polydm.h>
int main(void)
{
    printf("%s\n%s\n", pdm_default_plugin_path(), pdm_default_profile());
    return 0;
}
EOF
san_flags=''
[ -z "$sanitize" ] || san_flags="-fsanitize=$sanitize"
# shellcheck disable=SC2046 # pkg-config output is a list of flags
"$cc" -std=c11 -Wall -Wextra -Werror $("$pkgconfig" --cflags polydm) \
    -o "$work/paths" "$work/paths.c" $san_flags $("$pkgconfig" --libs polydm) \
    -Wl,-rpath,"$prefix/$libdir" ||
    die "cannot build against the moved polydm.pc"
"$work/paths" >"$work/paths.out" || die "the integrator program exited $?"
sed 's/^/      /' "$work/paths.out"
[ "$(sed -n 1p "$work/paths.out" | cut -d: -f1)" = "$(real "$plugindir")" ] ||
    [ "$static_plugins" = ON ] ||
    die "pdm_default_plugin_path() does not start with $plugindir"
[ "$(sed -n 2p "$work/paths.out")" = "$(real "$prefix/$datadir/polydm/profiles")/default.profile" ] ||
    die "pdm_default_profile() is not the moved install's default.profile"
ok "libpolydm.so finds the plugins and profile relative to itself"

# ---- 2. a third-party plugin in pkg-config's plugindir ----------------------
step "hello-plugin installed into pkg-config's plugindir"
pcdir=$(real "$("$pkgconfig" --variable=plugindir polydm-sdk)")
[ "$pcdir" = "$(real "$plugindir")" ] ||
    [ "$static_plugins" = ON ] ||
    die "polydm-sdk.pc plugindir is $pcdir, polydm searches $plugindir"
mkdir -p "$work/hello"
cp "$source/examples/hello-plugin/Makefile" "$source"/examples/hello-plugin/*.c \
    "$work/hello/"
CFLAGS="-O2 -g" LDFLAGS="$san_flags" \
    "$make" -C "$work/hello" CC="$cc" PKG_CONFIG="$pkgconfig" all install \
    >"$work/hello.log" 2>&1 ||
    { cat "$work/hello.log" >&2; die "hello-plugin: make all install"; }
[ -f "$pcdir/hello-policy.so" ] || die "make install did not put hello-policy.so into $pcdir"
ok "hello-policy.so in $pcdir"
awk '/^\[profile\]/ {print; next} {print} END {print ""; print "[plugin hello-policy]"; print "option.protect = ./Vendor/Hello"}' \
    "$profile" >"$work/hello.profile"
"$cli" --profile "$work/hello.profile" --state "$work/state-hello" \
    plugins list >"$work/hello-list.log" 2>&1 ||
    { cat "$work/hello-list.log" >&2; die "plugins list with hello-policy exited $?"; }
grep -q "hello-policy .*\[$pcdir/hello-policy.so\]" "$work/hello-list.log" ||
    { cat "$work/hello-list.log" >&2; die "hello-policy not loaded from $pcdir"; }
ok "the moved polydm loads hello-policy from pkg-config's plugindir"
unset PKG_CONFIG_PATH

# ---- 3. the build tree ------------------------------------------------------
step "the build tree's polydm (nothing set)"
bcli=$build/bin/polydm
(cd "$work" && "$bcli" --state "$work/state-build" plugins list) \
    >"$work/build-list.log" 2>&1 ||
    { cat "$work/build-list.log" >&2; die "build tree: plugins list exited $?"; }
head -n 1 "$work/build-list.log" | grep -q '^profile ' ||
    die "build tree: plugins list did not open a profile"
if [ "$static_plugins" != ON ]; then
    grep -q "\[$build/plugins/spec-authority.so\]" "$work/build-list.log" ||
        { cat "$work/build-list.log" >&2; die "build tree: spec-authority not loaded from $build/plugins"; }
fi
ok "build tree: plugins list with $build/plugins"
(cd "$work" && "$bcli" profile check "$build/profiles/default.profile") \
    >"$work/build-check.log" 2>&1 ||
    { cat "$work/build-check.log" >&2; die "build tree: profile check exited $?"; }
ok "build tree: profile check of its default profile"

step "PASS: a moved install and the build tree find their plugins and profiles"
