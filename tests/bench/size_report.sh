#!/usr/bin/env bash
# Footprint report (issue 15 item 12): text/data/bss of every object of
# libpolydm (the core, sdk/src/strerror.c, the static registry) and of the
# plugins linked into it, sorted by text, with totals; then `size` of the
# library itself.
#
#   tests/bench/size_report.sh BUILD_DIR
#
# BUILD_DIR is a firmware-style build, e.g. `cmake --preset gsm-operator`
# (MinSizeRel: -Os, plugins linked in) after
# `cmake --build build/gsm-operator --target polydm`.
set -euo pipefail
B=$(cd "$1" && pwd)
report() { # title dir...
  local title=$1; shift
  local objs
  objs=$(find "$@" -name '*.o' 2>/dev/null | sort)
  [ -n "$objs" ] || return 0
  echo "== $title"
  # shellcheck disable=SC2086
  size $objs | awk -v root="$B/" 'NR > 1 {
      f = $6; sub(root, "", f); sub(/CMakeFiles\/[^\/]*\.dir\//, "", f)
      printf "%8d %7d %7d  %s\n", $1, $2, $3, f
      t += $1; d += $2; b += $3 }
    END { printf "%8d %7d %7d  total (%.1f KB text)\n", t, d, b, t / 1024 }' |
    sort -n -r
}
echo "    text    data     bss  object"
report "core (polydm_core_obj)" "$B/core/CMakeFiles/polydm_core_obj.dir"
report "plugins linked into the core" "$B/plugins"
echo "== library"
size "$B"/core/libpolydm.so "$B"/core/libpolydm.a 2>/dev/null || true
