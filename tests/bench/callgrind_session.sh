#!/usr/bin/env bash
# The pinned instruction-count method of the protocol issue, for every
# pkg2-bulk package in XML and WBXML (needs valgrind; takes ~2 minutes):
#
#   tests/bench/callgrind_session.sh BUILD_DIR [OUT_DIR]
#
# BUILD_DIR is a Release build with tests/bench built.  Per package it
# prints Ir per command of bench_session (-n 3, --toggle-collect=
# bench_process), (Ir(PKG) - pdm__tree_commit - Ir(trivial)) / 3 / N, the
# store commit per command separately, the floor ((Ir(PKG) - Ir(trivial))
# / 10 / N of 10 parses), the ratio without and with the commit.  The
# Replace part of addrep-mem is addrep - add.  The XML rows' floor is
# libxml2's no-op SAX2 parse of the XML package (bench_xml -m floor); the
# WBXML rows' floor is libwbxml2's no-op SAX parse of the WBXML package
# (bench_wbxml --floor).
set -euo pipefail
B=$(cd "$1" && pwd)
O=${2:-$(mktemp -d)}
P=$(cd "$(dirname "$0")/packages" && pwd)
mkdir -p "$O"

total() { callgrind_annotate "$1" 2>/dev/null |
          awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'; }
incl() { callgrind_annotate --inclusive=yes --auto=no "$1" 2>/dev/null |
         awk -v f=":$2 \\\\[" '$0 ~ f { gsub(",", "", $1); print $1; exit }' |
         grep . || echo 0; }
session() { # name.ext args...
  local f=$O/$1.cg; shift
  valgrind --tool=callgrind --callgrind-out-file="$f" \
    --toggle-collect=bench_process "$B/tests/bench/bench_session" -n 3 "$@" \
    >/dev/null 2>&1
  echo "$(total "$f") $(incl "$f" pdm__tree_commit)"
}
floor() { # name ext
  local f=$O/floor.$1.$2.cg
  if [ "$2" = xml ]; then
    valgrind --tool=callgrind --callgrind-out-file="$f" \
      --toggle-collect=bench_floor_once "$B/tests/bench/bench_xml" -n 10 \
      -r 1 -m floor "$P/$1.xml" >/dev/null 2>&1
  else
    valgrind --tool=callgrind --callgrind-out-file="$f" \
      --toggle-collect=bench_wbxml_floor_once "$B/tests/bench/bench_wbxml" \
      -n 10 --floor "$P/$1.wbxml" >/dev/null 2>&1
  fi
  total "$f"
}

for e in xml wbxml; do
  declare -A F=()
  for p in trivial get-1000 replace-sqlite-1000 add-mem-1000 addrep-mem-1000; do
    F[$p]=$(floor $p $e)
  done
  read -r t _ <<<"$(session trivial.$e "$P/trivial.$e")"
  read -r g _ <<<"$(session get-1000.$e "$P/get-1000.$e")"
  read -r r rc <<<"$(session replace-sqlite-1000.$e \
                     --setup "$P/setup-sqlite-1000.$e" "$P/replace-sqlite-1000.$e")"
  read -r a ac <<<"$(session add-mem-1000.$e --memory "$P/add-mem-1000.$e")"
  read -r ar arc <<<"$(session addrep-mem-1000.$e --memory "$P/addrep-mem-1000.$e")"
  echo "${e^^}: trivial $((t / 3)) Ir per package"
  awk -v t="$t" -v g="$g" -v r="$r" -v rc="$rc" -v a="$a" -v ac="$ac" \
      -v ar="$ar" -v arc="$arc" -v ft="${F[trivial]}" -v fg="${F[get-1000]}" \
      -v fr="${F[replace-sqlite-1000]}" -v fa="${F[add-mem-1000]}" \
      -v far="${F[addrep-mem-1000]}" 'function row(n, ours, c, fl) {
        printf "  %-26s %7.0f Ir/cmd  commit %6.0f  floor %6.0f  ratio %.2f" \
               "  with commit %.2f\n", n, ours, c, fl, ours / fl,
               (ours + c) / fl }
      BEGIN {
        row("get-1000", (g - t) / 3000, 0, (fg - ft) / 10000)
        row("replace-sqlite-1000", (r - rc - t) / 3000, rc / 3000, (fr - ft) / 10000)
        row("add-mem-1000", (a - ac - t) / 3000, ac / 3000, (fa - ft) / 10000)
        row("addrep-mem-1000 Replace", ((ar - arc) - (a - ac)) / 3000,
            (arc - ac) / 3000, (far - fa) / 10000)
      }'
done
echo "callgrind files: $O"
