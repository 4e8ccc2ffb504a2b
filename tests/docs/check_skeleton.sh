#!/bin/sh
# check_skeleton.sh: the plugin guide's skeleton (docs/plugin-guide.md,
# "## Skeleton", the first ```c block) is a plugin that compiles without a
# warning (-Wall -Wextra -Werror, C11) with GCC and with Clang, as a module
# exporting exactly pdm_plugin_entry, and that polydm inspects.
# usage: check_skeleton.sh SOURCE_DIR WORK_DIR POLYDM NM [COMPILER...]
set -eu
src=$1 work=$2 polydm=$3 nm=$4
shift 4
rm -rf "$work"
mkdir -p "$work"
awk '/^## Skeleton/ {s = 1} s && /^```c/ {c = 1; next} c && /^```/ {exit} c' \
    "$src/docs/plugin-guide.md" >"$work/my_policy.c"
[ -s "$work/my_policy.c" ] || { echo "FAIL: no \`\`\`c block under '## Skeleton' in docs/plugin-guide.md" >&2; exit 1; }
n=0
for cc in "$@"; do
    out=$work/$(basename "$cc")/my-policy.so
    mkdir -p "$(dirname "$out")"
    # The flags of polydm-sdk.pc (cmake/polydm-sdk.pc.in), from the source tree.
    if ! "$cc" -std=c11 -Wall -Wextra -Werror -I"$src/sdk/include" \
        -DPDM_PLUGIN_BUILD_MODULE -fvisibility=hidden -fPIC -shared \
        -Wl,--no-undefined -Wl,--version-script="$src/cmake/pdm_plugin.map" \
        -o "$out" "$work/my_policy.c"; then
        echo "FAIL: the skeleton does not compile cleanly with $cc" >&2
        exit 1
    fi
    syms=$("$nm" -D --defined-only "$out" | awk '$(NF-1) != "A" {sub(/@.*/, "", $NF); print $NF}')
    [ "$syms" = pdm_plugin_entry ] || { echo "FAIL: $cc: exports [$syms]" >&2; exit 1; }
    POLYDM_STATE_DIR=$work/state "$polydm" plugins inspect "$out" >"$work/inspect.log" 2>&1 ||
        { cat "$work/inspect.log" >&2; echo "FAIL: polydm plugins inspect ($cc build)" >&2; exit 1; }
    grep -q 'my-policy' "$work/inspect.log" || { cat "$work/inspect.log" >&2; exit 1; }
    echo "ok    $cc: no warning, exports pdm_plugin_entry, polydm inspects it"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "FAIL: no compiler given" >&2; exit 1; }
