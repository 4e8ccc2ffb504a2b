#!/usr/bin/env bash
# Start-up instruction counts (issue 15 item 12), with callgrind:
#
#   tests/bench/startup.sh BUILD_DIR [OUT_DIR]
#
# BUILD_DIR is a Release build with tests/bench built.  For an empty store
# and a 10,000-node store it prints the instructions of opening the store
# and loading the tree (bench_startup_once: store open, tree load, free,
# close), after a clean shutdown, after an unclean one (the integrity check
# runs) and with the check requested (PDM_STORE_CHECK); and the
# instructions per node loaded ((Ir(10k) - Ir(empty)) / 10,000, clean).
set -euo pipefail
B=$(cd "$1" && pwd)
O=${2:-$(mktemp -d)}
mkdir -p "$O"

ir() { # name args...
  local f=$O/$1.cg; shift
  valgrind --tool=callgrind --callgrind-out-file="$f" \
    --toggle-collect=bench_startup_once "$B/tests/bench/bench_startup" "$@" \
    >/dev/null 2>&1
  callgrind_annotate "$f" 2>/dev/null |
    awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}
rm -rf "$O/s0" "$O/s10k"
"$B/tests/bench/bench_startup" "$O/s0" 0 >/dev/null        # build once
"$B/tests/bench/bench_startup" "$O/s10k" 10000 >/dev/null
e=$(ir empty "$O/s0" 0)
c=$(ir clean "$O/s10k" 10000)
u=$(ir unclean -u "$O/s10k" 10000)
k=$(ir check -c "$O/s10k" 10000)
awk -v e="$e" -v c="$c" -v u="$u" -v k="$k" 'BEGIN {
  printf "  empty store                    %6.2f M Ir\n", e / 1e6
  printf "  10,000 nodes, clean shutdown   %6.2f M Ir\n", c / 1e6
  printf "  10,000 nodes, unclean shutdown %6.2f M Ir\n", u / 1e6
  printf "  10,000 nodes, check requested  %6.2f M Ir\n", k / 1e6
  printf "  per node loaded (clean)        %6.0f Ir\n", (c - e) / 10000
}'
echo "callgrind files: $O"
