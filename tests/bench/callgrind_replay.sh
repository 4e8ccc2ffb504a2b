#!/usr/bin/env bash
# Instructions per command of a whole `polydm replay` process (issue 15
# item 7: each package decoded once), for the get-1000 pkg2-bulk package
# in XML and WBXML (needs valgrind; takes ~1 minute):
#
#   tests/bench/callgrind_replay.sh BUILD_DIR [OUT_DIR]
#
# BUILD_DIR is a Release build with the CLI built.  Per encoding it prints
# (Ir(get-1000) - Ir(trivial)) / 1000: the replay of one server package
# of 1,000 Gets on a fresh store (profile as bench_session's: the
# tests/session factory tree, account srv-none), start-up and the fixed
# cost of a session taken out by the trivial package.
set -euo pipefail
B=$(cd "$1" && pwd)
O=${2:-$(mktemp -d)}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
P=$SRC/tests/bench/packages
mkdir -p "$O"
cat >"$O/bench.profile" <<P
[profile]
id = bench
factory_tree = $SRC/tests/session/tree.tnds.xml
[device]
devid = DMCtest
[session]
server_auth = false
max_msg_size = 16777216
P
run() { # package encoding
  local wb=()
  [ "$2" = wbxml ] && wb=(--wbxml)
  rm -rf "$O/state-$1.$2" "$O/out-$1.$2"
  valgrind --tool=callgrind --callgrind-out-file="$O/$1.$2.cg" \
    "$B/bin/polydm" --profile "$O/bench.profile" --state "$O/state-$1.$2" \
    replay "${wb[@]}" --server srv-none --out "$O/out-$1.$2" "$P/$1.$2" \
    >/dev/null 2>"$O/$1.$2.err"
  callgrind_annotate "$O/$1.$2.cg" 2>/dev/null |
    awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}
for e in xml wbxml; do
  t=$(run trivial "$e")
  g=$(run get-1000 "$e")
  echo "${e^^}: trivial $t Ir, get-1000 $g Ir, $(( (g - t) / 1000 )) Ir per command"
done
echo "callgrind files and the replayed client messages: $O"
