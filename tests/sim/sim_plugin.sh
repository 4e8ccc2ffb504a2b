#!/usr/bin/env bash
# sim_plugin: the sim-bootstrap plugin end to end through `polydm bootstrap
# --scan`, with our own pcscd and the emulated cards of ./mkcard: a DM card
# bootstraps its account (origin smartcard, source_id = ICCID), a second
# scan applies nothing new, the removed card's account is removed
# (BootstrapSourceGone), a second card gets its own account; broken cards
# apply nothing and leave the tree byte-identical, with their log line; a
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
