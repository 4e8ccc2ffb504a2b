#!/usr/bin/env bash
# polydm bootstrap: exit codes, what it prints, the PIN from the UI script
# (never in the device-state log), refusals audited with nothing changed.
# Usage: bootstrap_cli_test.sh POLYDM SOURCE_DIR FIXTURE_DIR
set -u
PDM=$1 SRC=$2 FX=$3
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
W7=$SRC/tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml
W7_MAC=AD7163230A2A4AE07605ECC3E4916ABA104B7211

. "$(dirname "$0")/lib.sh"
contains() {
  if ! grep -qF -- "$2" <<<"$out"; then
    echo "FAIL $1: output lacks: $2"; echo "$out" | sed 's/^/    /'
    fails=$((fails+1))
  fi
}

cat > "$tmp/p.profile" <<'P'
[profile]
id = cli-bootstrap
[device]
imsi = 001010123456789
[plugin fx-bootstrap]
P
P=(--plugin-path "$FX" --profile "$tmp/p.profile" --state "$tmp/st")

expect 0 "help" "$PDM" bootstrap --help
contains "help synopsis" "usage: polydm [global options] bootstrap FILE"
expect 2 "no file" "$PDM" "${P[@]}" bootstrap
contains "no file says" "expected one FILE (or --scan)"
expect 2 "bad sec" "$PDM" "${P[@]}" bootstrap --sec BOGUS "$W7"
expect 2 "bad origin" "$PDM" "${P[@]}" bootstrap --origin smartcard "$W7"
expect 2 "scan with file" "$PDM" "${P[@]}" bootstrap --scan "$W7"
expect 3 "missing file" "$PDM" "${P[@]}" bootstrap "$tmp/none.wbxml"
printf 'hello' > "$tmp/junk"
expect 3 "unknown type" "$PDM" "${P[@]}" bootstrap "$tmp/junk"
contains "unknown type says" "neither an OMA CP document nor a SyncML DM message"

# refusals first: nothing changes
"$PDM" "${P[@]}" tree export . > "$tmp/before.xml" 2>/dev/null
expect 1 "wrong MAC" "$PDM" "${P[@]}" bootstrap --sec NETWPIN \
  --mac 0000000000000000000000000000000000000000 --origin push "$W7"
contains "wrong MAC says" "bootstrap refused by core: the NETWPIN MAC does not match"
lacks "no IMSI" "001010123456789"
expect 1 "unsigned push" "$PDM" "${P[@]}" bootstrap --origin push "$W7"
contains "unsigned says" "unsigned document (no SEC/MAC) from origin push"
"$PDM" "${P[@]}" tree export . > "$tmp/after.xml" 2>/dev/null
if cmp -s "$tmp/before.xml" "$tmp/after.xml"; then echo "ok   tree unchanged"
else echo "FAIL tree changed by refusals"; fails=$((fails+1)); fi
expect 0 "audit" "$PDM" "${P[@]}" audit
contains "audit refusal" "refused (authentication failed): the NETWPIN MAC does not match"
lacks "audit no MAC" "0000000000000000000000000000000000000000"

# USERPIN: the PIN comes from the UI script, the device log says only that
# it was answered
mac=$(openssl dgst -sha1 -mac HMAC -macopt key:4711 "$W7" | awk '{print $NF}')
printf 'pin=4712\n' > "$tmp/wrong.ui"
expect 1 "USERPIN wrong PIN" "$PDM" "${P[@]}" bootstrap --sec USERPIN --mac "$mac" \
  --ui-script "$tmp/wrong.ui" --device-state "$tmp/dev.log" "$W7"
printf 'cancel\n' > "$tmp/cancel.ui"
expect 1 "USERPIN cancelled" "$PDM" "${P[@]}" bootstrap --sec 1 --mac "$mac" \
  --ui-script "$tmp/cancel.ui" "$W7"
contains "cancel says" "the user declined the PIN question"
printf 'pin=4711\n' > "$tmp/pin.ui"
expect 0 "USERPIN right PIN" "$PDM" "${P[@]}" bootstrap --sec USERPIN --mac "$mac" \
  --content-type application/vnd.wap.connectivity-wbxml --origin push \
  --ui-script "$tmp/pin.ui" --device-state "$tmp/dev.log" "$W7"
contains "applied" "applied: ./DMAcc/funambol for ServerID funambol"
contains "next" "next: a client-initiated session to funambol; \`polydm session --server funambol\` or the agent runs it"
if grep -q 4711 "$tmp/dev.log" || grep -q 4712 "$tmp/dev.log"; then
  echo "FAIL PIN in the device-state log"; fails=$((fails+1))
else echo "ok   no PIN in the device-state log"; fi
grep -q '"action":"pin"' "$tmp/dev.log" && echo "ok   PIN question recorded" ||
  { echo "FAIL no pin record"; fails=$((fails+1)); }

expect 1 "again: exists" "$PDM" "${P[@]}" bootstrap --sec NETWPIN --mac "$W7_MAC" --origin push "$W7"
contains "exists says" "(bootstrap.replace_existing is false)"
expect 0 "scan" "$PDM" "${P[@]}" bootstrap --scan
contains "scan counts" "scan: 0 applied, 0 refused"
contains "scan pending" "next: a client-initiated session to funambol"
expect 0 "scan json" "$PDM" --json "${P[@]}" bootstrap --scan
contains "json" '"pending":["funambol"]'

# Funambol's DM-profile message (sniffed as SyncML), from the factory,
# unsigned: the default bootstrap.unsigned_origins allows it
DMP=$SRC/tests/data/transcripts/funambol_dm_profile_bootstrap.wbxml
expect 0 "DM profile factory" "$PDM" --plugin-path "$FX" --profile "$tmp/p.profile" \
  --state "$tmp/st2" bootstrap --origin factory "$DMP"
contains "DM applied" "for ServerID funambol"
expect 1 "DM profile from a file, unsigned" "$PDM" --plugin-path "$FX" \
  --profile "$tmp/p.profile" --state "$tmp/st3" bootstrap "$DMP"
contains "DM file says" "unsigned document (no SEC/MAC) from origin file"

# A plugin's own PIN (host->ask_pin, e.g. the SIM card's): the same pin=
# line answers it; the device-state log names the plugin and its tries,
# never the PIN
cat > "$tmp/askpin.profile" <<'P'
[profile]
id = cli-askpin
[plugin fx-bootstrap]
option.pin_text = Enter the SIM PIN
option.pin_tries = 3
P
A=(--plugin-path "$FX" --profile "$tmp/askpin.profile" --state "$tmp/st4")
printf 'pin=2468\n' > "$tmp/simpin.ui"
expect 0 "plugin PIN answered" "$PDM" "${A[@]}" bootstrap --scan \
  --ui-script "$tmp/simpin.ui" --device-state "$tmp/dev4.log"
expect 0 "plugin PIN record" cat "$tmp/dev4.log"
contains "plugin PIN recorded" '"action":"pin","detail":"card PIN for fx-bootstrap (3 tries left): answered"'
lacks "plugin PIN not recorded" "2468"
expect 0 "plugin PIN cancelled" "$PDM" "${A[@]}" bootstrap --scan \
  --ui-script "$tmp/cancel.ui" --device-state "$tmp/dev5.log"
expect 0 "plugin PIN cancel record" cat "$tmp/dev5.log"
contains "plugin PIN declined" "card PIN for fx-bootstrap (3 tries left): declined"

echo "$fails failure(s)"
[ "$fails" = 0 ]
