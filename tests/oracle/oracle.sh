#!/usr/bin/env bash
# Collects WBXML messages the client produces (every session case in its
# WBXML run, replays of the bulk packages, a TNDS export) and checks them
# with the independent decoders (oracle_test: wbxml2xml and tshark).
# Usage: oracle.sh POLYDM SESSION_CASES ORACLE_TEST SOURCE_DIR
set -eu
PDM=$1 CASES=$2 ORACLE=$3 SRC=$4
for tool in wbxml2xml tshark text2pcap; do
  command -v $tool >/dev/null || { echo "oracle: $tool missing (scripts/setup-deps.sh installs it)"; exit 1; }
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/dump"
PDM_DUMP_DIR="$tmp/dump" "$CASES" >/dev/null
cat > "$tmp/p.profile" <<P
[profile]
id = oracle
factory_tree = $SRC/tests/session/tree.tnds.xml
[device]
devid = DMCtest
[session]
server_auth = false
P
n=0
for f in get-100 add-mem-100 addrep-mem-100; do
  rm -rf "$tmp/st"
  # bulk packages speak as server "srv-none"'s peer: account chosen by name
  "$PDM" --profile "$tmp/p.profile" --state "$tmp/st" replay --wbxml --server srv-none \
    --out "$tmp/r$n" "$SRC/tests/bench/packages/$f.wbxml" >/dev/null
  for m in "$tmp/r$n"/*.wbxml; do cp "$m" "$tmp/dump/replay-$n-$(basename "$m")"; done
  n=$((n+1))
done
"$PDM" --profile "$tmp/p.profile" --state "$tmp/st" tree export ./Test/dir --wbxml -o "$tmp/dump/tnds.wbxml"
exec "$ORACLE" "$tmp/dump"
