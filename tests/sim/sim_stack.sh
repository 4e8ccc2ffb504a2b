#!/usr/bin/env bash
# sim_stack: the SIM test stack end to end (README.md here).  Starts its own
# pcscd, plays each card image of ./mkcard with vcard.py and checks what
# readef reads from it: the exact bytes and ICCID for the good cards, the
# exact error for the bad ones.  Stops everything it started, also on
# failure.  Exit 77 (CTest SKIP_RETURN_CODE) with a reason when the stack
# cannot run here (not root, packages missing, a pcscd already running).
#
# Usage: sim_stack.sh READEF_BINARY
set -uo pipefail

TEST=sim_stack
READEF=${1:-}
. "$(dirname "$0")/lib.sh"
sim_check
sim_start

# read_ok NAME [readef args...]: the card's file, byte for byte.
read_ok() {
  local name=$1; shift
  local iccid; iccid=$(head -1 "$WORK/cards/$name.expect")
  local out="$WORK/$name.out"
  if ! "$READEF" --reader "$READER" --wait 10000 --out "$WORK/$name.bin.read" "$@" read \
       >"$out" 2>"$WORK/err"; then
    fail "$name: readef failed: $(cat "$WORK/err")"; show_logs; return
  fi
  local sha; sha=$(sha256sum "$WORK/cards/$name.bin" | cut -d' ' -f1 | tr a-f A-F)
  grep -qx "iccid=$iccid" "$out" || fail "$name: wrong ICCID: $(cat "$out")"
  grep -qx "sha256=$sha" "$out" || fail "$name: wrong SHA-256: $(cat "$out")"
  grep -qx "path=3F0050154402" "$out" || fail "$name: wrong path: $(cat "$out")"
  cmp -s "$WORK/cards/$name.bin" "$WORK/$name.bin.read" || fail "$name: bytes differ"
  echo "ok   $name: $(tr '\n' ' ' <"$out")"
}

# read_err NAME MESSAGE [readef args...]: readef refuses with exit 2 and
# exactly this message.
read_err() {
  local name=$1 want=$2; shift 2
  "$READEF" --reader "$READER" --wait 10000 "$@" read >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  if [ "$rc" -ne 2 ]; then
    fail "$name: readef exit $rc, expected 2: $(cat "$WORK/err" "$WORK/out")"; show_logs
  elif [ "$(cat "$WORK/err")" != "readef: $want" ]; then
    fail "$name: error was: $(cat "$WORK/err")"$'\n'"      expected: readef: $want"
  else
    echo "ok   $name: $(cat "$WORK/err")"
  fi
}

protocol_is() {
  grep -qx "protocol=$2" "$WORK/$1.out" || fail "$1: not read over $2"
}

# Good cards: T=1 and T=0, found by AID and through EF(DIR), two ICCIDs
# swapped without restarting pcscd.
for c in dm dm-t0 cp dm-b dir-only; do
  insert "$c"; read_ok "$c"; remove
done
protocol_is dm T=1
protocol_is dm-t0 T=0
protocol_is cp T=0
# The APDU traces: over T=1 a case-4 SELECT returns its FCP at once; over
# T=0 it answers 61xx and readef fetches the FCP with GET RESPONSE.
grep -q '^< 62' "$WORK/dm.trace" || fail "dm: no FCP returned directly over T=1"
grep -q '^> 00C00000' "$WORK/dm-t0.trace" || fail "dm-t0: no GET RESPONSE over T=0"
grep -q '^< 61' "$WORK/dm-t0.trace" || fail "dm-t0: no 61xx over T=0"

# PIN1-protected EF(DM_Bootstrap): the counter goes 3 -> 2 -> 1, readef
# will not spend the last try, a forced wrong try blocks PIN1 for good.
insert pin
read_err pin-none "EF(DM_Bootstrap) 3F0050154402: PIN1 required (6982), 3 tries left"
read_ok pin --pin 2468
read_err pin-wrong1 "EF(DM_Bootstrap) 3F0050154402: wrong PIN1 (63C2): 2 tries left" --pin 1111
read_err pin-wrong2 "EF(DM_Bootstrap) 3F0050154402: wrong PIN1 (63C1): 1 tries left" --pin 1111
read_err pin-last "EF(DM_Bootstrap) 3F0050154402: PIN1 has 1 try left: not verifying (a wrong PIN would block the card)" --pin 1111
read_err pin-block "EF(DM_Bootstrap) 3F0050154402: wrong PIN1 (63C0): 0 tries left" --pin 1111 --force-verify
read_err pin-blocked "EF(DM_Bootstrap) 3F0050154402: PIN1 blocked (6983)" --pin 2468
remove
# The PIN went to the card (VERIFY seen) but never into its trace.
grep -q '^> 0020000108<pin>' "$WORK/pin.trace" || fail "pin: no VERIFY PIN1 traced"
grep -qi '32343638' "$WORK/pin.trace" && fail "pin: the PIN's bytes appear in the trace"

# The other PIN images: without AODF (readef never reads one), 1 try
# left, blocked.
insert pin-noaodf; read_ok pin-noaodf --pin 2468; remove
insert pin-last
read_err pin-last-image "EF(DM_Bootstrap) 3F0050154402: PIN1 required (6982), 1 tries left"
read_err pin-last-image-pin "EF(DM_Bootstrap) 3F0050154402: PIN1 has 1 try left: not verifying (a wrong PIN would block the card)" --pin 2468
remove
insert pin-blocked
read_err pin-blocked-image "EF(DM_Bootstrap) 3F0050154402: PIN1 blocked (6983)" --pin 2468
remove

insert no-pkcs15
read_err no-pkcs15 "no PKCS#15 application: SELECT AID A000000063504B43532D3135: 6A82, EF(DIR) 2F00: 6A82 (file not found)"
remove
insert broken-dodf
read_err broken-dodf "EF(DODF) 3F0050154401: broken: TLV at offset 0 overruns the file or is malformed"
remove
insert no-file
read_err no-file "EF(DM_Bootstrap) 3F0050154402: SELECT: 6A82 (file not found)"
remove

sim_finish
