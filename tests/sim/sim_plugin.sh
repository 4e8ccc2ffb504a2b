#!/usr/bin/env bash
# sim_plugin: the sim-bootstrap plugin end to end through `polydm bootstrap
# --scan`, with our own pcscd and the emulated cards of ./mkcard: a DM card
# bootstraps its account (origin smartcard, source_id = ICCID), a second
# scan applies nothing new, the removed card's account is removed
# (BootstrapSourceGone), a second card gets its own account; broken cards
# apply nothing and leave the tree byte-identical, with their log line;
# the SIM PIN through --ui-script (cancel, wrong, right, 1 try left,
# blocked: the prompts, the VERIFYs in the card's trace, the counter); a
# profile without smartcard in unsigned_origins refuses the card (exit 1).
# Exit 77 with a reason when the stack cannot run here (lib.sh).
#
# Usage: sim_plugin.sh READEF POLYDM PLUGIN_DIR
set -uo pipefail
TEST=sim_plugin
READEF=${1:-} PDM=${2:-} PLUGINS=${3:-}
. "$(dirname "$0")/lib.sh"
sim_check
[ -x "$PDM" ] && [ -f "$PLUGINS/sim-bootstrap.so" ] ||
  skip "polydm or the sim-bootstrap plugin not built (libpcsclite-dev missing?)"
sim_start no-pcscd

profile() { # profile FILE UNSIGNED_ORIGINS
  cat >"$1" <<P
[profile]
id = sim-plugin-test
[plugin spec-authority]
option.account_rights = Get,Replace,Delete
[plugin sim-bootstrap]
option.reader = Virtual PCD 00 00
[bootstrap]
unsigned_origins = $2
P
}
profile "$WORK/ok.profile" factory,smartcard
profile "$WORK/no.profile" factory
OK=(--plugin-path "$PLUGINS" --profile "$WORK/ok.profile" --state "$WORK/st")
NO=(--plugin-path "$PLUGINS" --profile "$WORK/no.profile" --state "$WORK/st2")

# scan NAME WANT_RC ARGS...: polydm bootstrap --scan, output in $WORK/out.
scan() {
  local name=$1 want=$2; shift 2
  "$PDM" "$@" bootstrap --scan >"$WORK/out" 2>&1
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$name: exit $rc, expected $want:"$'\n'"$(sed 's/^/    /' "$WORK/out")"
    show_logs
  fi
}
has() { grep -qF -- "$2" "$WORK/out" || fail "$1: output lacks: $2"$'\n'"$(sed 's/^/    /' "$WORK/out")"; }
export_tree() { "$PDM" "${OK[@]}" tree export . >"$1" 2>/dev/null || fail "tree export failed"; }
audit() { "$PDM" "${OK[@]}" audit >"$WORK/audit" 2>&1 || fail "audit failed"; }

# 0. No pcscd yet: nothing applied, the log says why.
scan "no pcscd" 0 "${OK[@]}"
has "no pcscd says" "(is pcscd running?)"
has "no pcscd nothing" "0 applied"
echo "ok   no pcscd: nothing applied"
sim_pcscd

DM_ICCID=$(head -1 "$WORK/cards/dm.expect")
B_ICCID=$(head -1 "$WORK/cards/dm-b.expect")

# 1. The DM card: applied, account for ServerID funambol, audited smartcard.
insert dm; wait_card
scan "dm" 0 "${OK[@]}"
has "dm applied" "scan: 1 applied, 0 refused"
has "dm pending" "next: a client-initiated session to funambol"
export_tree "$WORK/t1.xml"
grep -q "<NodeName>TestAcc</NodeName>" "$WORK/t1.xml" || fail "dm: no ./DMAcc/TestAcc in the tree"
grep -q "funambol" "$WORK/t1.xml" || fail "dm: no funambol account in the tree"
audit
grep -Eq "allow bootstrap:sim-bootstrap/sim Bootstrap ./DMAcc/TestAcc .*applied: ./DMAcc/TestAcc for ServerID funambol \(origin smartcard, SEC NONE\)" "$WORK/audit" ||
  fail "dm: no Bootstrap row with origin smartcard:"$'\n'"$(cat "$WORK/audit")"
echo "ok   dm applied"
# 2. Scan again: nothing new, tree unchanged.
scan "dm again" 0 "${OK[@]}"
has "dm again" "0 applied"
export_tree "$WORK/t2.xml"
cmp -s "$WORK/t1.xml" "$WORK/t2.xml" || fail "dm again: the tree changed"
echo "ok   dm scanned again: nothing new"
remove

# 3. Card removed: the account goes, audited BootstrapSourceGone.
scan "removed" 0 "${OK[@]}"
export_tree "$WORK/t3.xml"
grep -q "funambol" "$WORK/t3.xml" && fail "removed: the funambol account is still there"
audit
grep -q "BootstrapSourceGone ./DMAcc/TestAcc .*: source sim-bootstrap/sim no longer has $DM_ICCID: removed" "$WORK/audit" || fail "removed: no BootstrapSourceGone row:"$'\n'"$(cat "$WORK/audit")"
echo "ok   card removed: account removed"

# 3b. The same card back: read and applied again (its account went with it).
insert dm; wait_card
scan "dm back" 0 "${OK[@]}"
has "dm back applied" "scan: 1 applied, 0 refused"
export_tree "$WORK/t3b.xml"
grep -q "funambol" "$WORK/t3b.xml" || fail "dm back: no funambol account"
echo "ok   the same card back: applied again"
remove
scan "dm back removed" 0 "${OK[@]}"

# 4. The second card (another ICCID): its own account.
insert dm-b; wait_card
scan "dm-b" 0 "${OK[@]}"
has "dm-b applied" "scan: 1 applied, 0 refused"
export_tree "$WORK/t4.xml"
grep -q "funambol" "$WORK/t4.xml" || fail "dm-b: no funambol account"
echo "ok   second card ($B_ICCID, first was $DM_ICCID): applied"
remove
scan "dm-b removed" 0 "${OK[@]}"
audit
grep -q "BootstrapSourceGone ./DMAcc/TestAcc .*: source sim-bootstrap/sim no longer has $B_ICCID: removed" "$WORK/audit" ||
  fail "dm-b removed: no BootstrapSourceGone row for $B_ICCID"
export_tree "$WORK/base.xml"

# 5. Broken cards: exit 0, nothing applied, tree byte-identical, the line.
broken() { # broken IMAGE LOGLINE
  insert "$1"; wait_card
  local seen; seen=$(wc -l <"$WORK/vcard.log")   # readef's APDUs so far
  scan "$1" 0 "${OK[@]}"
  has "$1 says" "$2"
  has "$1 nothing" "0 applied"
  export_tree "$WORK/$1.xml"
  cmp -s "$WORK/base.xml" "$WORK/$1.xml" || fail "$1: the tree changed"
  # a VERIFY with a PIN (an empty one only reads the tries counter)
  tail -n +"$((seen + 1))" "$WORK/vcard.log" | grep -q '^> 0020000108' &&
    fail "$1: the plugin sent a VERIFY with a PIN"
  remove
  echo "ok   $1: nothing applied ($2)"
}
broken no-pkcs15 "no PKCS#15 application: SELECT AID A000000063504B43532D3135: 6A82, EF(DIR) 2F00: 6A82 (file not found)"
broken broken-dodf "EF(DODF) 3F0050154401: broken: TLV at offset 0 overruns the file or is malformed"
broken no-file "EF(DM_Bootstrap) 3F0050154402: SELECT: 6A82 (file not found)"
broken pin "EF(DM_Bootstrap) 3F0050154402 is PIN-protected: cannot ask for the PIN"

# 5b. The SIM PIN through the CLI's PIN prompt (--ui-script: pin=DIGITS
# answers, cancel declines).  Each case: the scan's output, the tree,
# the VERIFYs with a PIN in the card's trace since the scan, and PIN1's
# counter read back with readef (an empty VERIFY spends nothing).
pin_scan() { # pin_scan LABEL ANSWER: one scan answering the PIN question
  printf '%s\n' "$2" >"$WORK/ui"
  SEEN=$(wc -l <"$WORK/vcard.log")
  rm -f "$WORK/dev"
  "$PDM" -v "${OK[@]}" bootstrap --scan --ui-script "$WORK/ui" \
    --device-state "$WORK/dev" >"$WORK/out" 2>&1
  local rc=$?
  [ "$rc" -eq 0 ] || fail "$1: exit $rc, expected 0:"$'\n'"$(sed 's/^/    /' "$WORK/out")"
  grep -qE '2468|1111' "$WORK/out" "$WORK/dev" 2>/dev/null &&
    fail "$1: a PIN appears in the output or the device record"
}
# asked LABEL N DETAIL: the device was asked N times, the last with DETAIL
asked() {
  local n; n=$(grep -c '"pin"' "$WORK/dev" 2>/dev/null)
  [ "${n:-0}" -eq "$2" ] || fail "$1: the PIN was asked ${n:-0} times, expected $2"
  [ -z "${3:-}" ] || grep -qF "$3" "$WORK/dev" ||
    fail "$1: the device record lacks: $3"$'\n'"$(cat "$WORK/dev")"
}
pin_verifies() { # pin_verifies LABEL N
  local n; n=$(tail -n +"$((SEEN + 1))" "$WORK/vcard.log" | grep -c '^> 0020000108<pin>')
  [ "$n" -eq "$2" ] || fail "$1: $n VERIFY with a PIN in the card's trace, expected $2"
}
pin_tries() { # pin_tries LABEL N
  "$READEF" --reader "$READER" --wait 10000 read >/dev/null 2>"$WORK/err"
  grep -q "PIN1 required (6982), $2 tries left" "$WORK/err" ||
    fail "$1: PIN1 counter: $(cat "$WORK/err"), expected $2 tries left"
}
same_tree() { export_tree "$WORK/$1.xml"; cmp -s "$WORK/base.xml" "$WORK/$1.xml" || fail "$1: the tree changed:"$'\n'"$(diff "$WORK/base.xml" "$WORK/$1.xml" | head -20)"; }

insert pin; wait_card
pin_scan "pin cancel" cancel
has "pin cancel" "0 applied"
has "pin cancel says" "EF(DM_Bootstrap) 3F0050154402: the SIM PIN was not given: not read (no try spent)"
same_tree pin-cancel
pin_verifies "pin cancel" 0
asked "pin cancel" 1 "card PIN for sim-bootstrap (3 tries left): declined"
pin_tries "pin cancel" 3
echo "ok   pin cancelled: nothing applied, no VERIFY with a PIN, 3 tries left"

pin_scan "pin wrong" pin=1111
has "pin wrong" "0 applied"
has "pin wrong says" "EF(DM_Bootstrap) 3F0050154402: wrong SIM PIN, 2 tries left"
same_tree pin-wrong
pin_verifies "pin wrong" 1
asked "pin wrong" 1 "card PIN for sim-bootstrap (3 tries left): answered"
pin_tries "pin wrong" 2
echo "ok   wrong PIN: nothing applied, one VERIFY, 2 tries left"

pin_scan "pin right" pin=2468
has "pin right" "scan: 1 applied, 0 refused"
has "pin right verified" "EF(DM_Bootstrap) 3F0050154402: SIM PIN verified"
export_tree "$WORK/pin-right.xml"
grep -q "funambol" "$WORK/pin-right.xml" || fail "pin right: no funambol account"
pin_verifies "pin right" 1
# the core probes again after the document: not asked a second time
asked "pin right" 1 "card PIN for sim-bootstrap (2 tries left): answered"
has "pin right asked once" "was offered already: the SIM PIN is not asked again until the card is inserted again"
echo "ok   right PIN: applied after one VERIFY"
remove
cp "$WORK/vcard.log" "$WORK/pin-cli.trace"
grep -qi '32343638\|31313131' "$WORK/pin-cli.trace" && fail "pin: a PIN's bytes in the card's trace"
scan "pin removed" 0 "${OK[@]}"
export_tree "$WORK/base.xml"  # the new base: the removal bumped VerNo/TStamp
grep -q "funambol" "$WORK/base.xml" && fail "pin removed: the funambol account is still there"

insert pin-last; wait_card
pin_scan "pin-last" pin=2468
has "pin-last" "0 applied"
has "pin-last says" "EF(DM_Bootstrap) 3F0050154402 is PIN-protected and the SIM PIN has 1 try left: not asked"
same_tree pin-last
pin_verifies "pin-last" 0
asked "pin-last" 0
pin_tries "pin-last" 1
echo "ok   pin-last: not asked, no VERIFY with a PIN, 1 try left"
remove

insert pin-blocked; wait_card
pin_scan "pin-blocked" pin=2468
has "pin-blocked" "0 applied"
has "pin-blocked says" "is PIN-protected and the SIM PIN (01, from EF(AODF)) is blocked (6983): not asked"
same_tree pin-blocked
pin_verifies "pin-blocked" 0
asked "pin-blocked" 0
echo "ok   pin-blocked: not asked, no VERIFY with a PIN"
remove

# 6. smartcard not in unsigned_origins: refused, tree unchanged.
"$PDM" "${NO[@]}" tree export . >"$WORK/n0.xml" 2>/dev/null
insert dm; wait_card
scan "unsigned refused" 1 "${NO[@]}"
has "unsigned refused says" "unsigned document (no SEC/MAC) from origin smartcard"
"$PDM" "${NO[@]}" tree export . >"$WORK/n1.xml" 2>/dev/null
cmp -s "$WORK/n0.xml" "$WORK/n1.xml" || fail "unsigned refused: the tree changed"
echo "ok   profile without smartcard in unsigned_origins: refused"
remove

sim_finish
