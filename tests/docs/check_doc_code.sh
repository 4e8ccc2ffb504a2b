#!/bin/sh
# check_doc_code.sh: the C code a document shows compiles without a warning
# (C11, -Wall -Wextra -Werror) with every compiler given (GCC and Clang in
# CI).  The code is the first ```c block after the heading "## SECTION".
#
#   --mode=plugin  (docs/plugin-guide.md, "Skeleton") a plugin module built
#                  with the flags of polydm-sdk.pc: it must export exactly
#                  pdm_plugin_entry, and `polydm plugins inspect` reads it
#   --mode=object  (docs/integrator-guide.md, "A minimal integrator")
#                  compiled against the integrator and SDK headers
#
# usage: check_doc_code.sh --source=DIR --work=DIR --doc=FILE --section=TITLE
#          --mode=plugin|object [--polydm=BIN --nm=NM] CC...
set -eu
source='' work='' doc='' section='' mode='' polydm='' nm=nm
while [ $# -gt 0 ]; do
    case $1 in
    --source=*) source=${1#*=} ;;
    --work=*) work=${1#*=} ;;
    --doc=*) doc=${1#*=} ;;
    --section=*) section=${1#*=} ;;
    --mode=*) mode=${1#*=} ;;
    --polydm=*) polydm=${1#*=} ;;
    --nm=*) nm=${1#*=} ;;
    -*) echo "check_doc_code.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
    shift
done
[ $# -gt 0 ] || { echo "FAIL: no compiler given" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
code=$work/code.c
awk -v h="## $section" '$0 == h {s = 1; next} s && /^## / {exit}
    s && /^```c$/ {c = 1; next} c && /^```/ {exit} c' "$source/$doc" >"$code"
[ -s "$code" ] || { echo "FAIL: no \`\`\`c block under '## $section' in $doc" >&2; exit 1; }
for cc in "$@"; do
    dir=$work/$(basename "$cc")
    mkdir -p "$dir"
    case $mode in
    plugin)
        out=$dir/my-policy.so
        # The flags of polydm-sdk.pc (cmake/polydm-sdk.pc.in), from the
        # source tree.
        "$cc" -std=c11 -Wall -Wextra -Werror -I"$source/sdk/include" \
            -DPDM_PLUGIN_BUILD_MODULE -fvisibility=hidden -fPIC -shared \
            -Wl,--no-undefined -Wl,--version-script="$source/cmake/pdm_plugin.map" \
            -o "$out" "$code" ||
            { echo "FAIL: $doc, $section: does not compile cleanly with $cc" >&2; exit 1; }
        syms=$("$nm" -D --defined-only "$out" |
            awk '$(NF-1) != "A" {sub(/@.*/, "", $NF); print $NF}')
        [ "$syms" = pdm_plugin_entry ] ||
            { echo "FAIL: $cc: the module exports [$syms]" >&2; exit 1; }
        POLYDM_STATE_DIR=$work/state "$polydm" plugins inspect "$out" \
            >"$dir/inspect.log" 2>&1 ||
            { cat "$dir/inspect.log" >&2; echo "FAIL: polydm plugins inspect ($cc)" >&2; exit 1; }
        echo "ok    $cc: $section compiles cleanly, exports pdm_plugin_entry, polydm inspects it"
        ;;
    object)
        "$cc" -std=c11 -Wall -Wextra -Werror -I"$source/core/include" \
            -I"$source/sdk/include" -c -o "$dir/code.o" "$code" ||
            { echo "FAIL: $doc, $section: does not compile cleanly with $cc" >&2; exit 1; }
        echo "ok    $cc: $section compiles cleanly"
        ;;
    *) echo "check_doc_code.sh: --mode=plugin or --mode=object" >&2; exit 2 ;;
    esac
done
