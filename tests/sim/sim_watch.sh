#!/usr/bin/env bash
# sim_watch: the sim-bootstrap plugin's watch_fd() and its SIM PIN flow
# against our own pcscd and the emulated cards, through plugtest (the
# plugin compiled in, the SDK's fake host playing the core; commands in
# plugtest.c).  Exit 77 with a reason when the stack cannot run (lib.sh).
#
# watch_fd: readable after an insertion and a removal, quiet when nothing
# changes (also after probe()'s own connect and reset), drained by
# probe(), readable when pcscd comes back; card swaps with no wait
# between (another ICCID, same ATR): seen when the watch is polled, when
# the swap falls between present_ids() and probe() or after a read in the
# same scan (the probe offers nothing and leaves the fd readable until
# present_ids() is asked again), and before watch_fd() starts; destroy() within 1 s with
# pcscd running, not running and killed under the thread.
# PIN: right, wrong (counter -1, one VERIFY), cancelled, not digits, no
# ask_pin in the host, the AODF's reference over option.pin_ref, the
# option without AODF, 1 try left (not spent unless the option says),
# blocked; the PIN never in a log line or the card's trace.
#
# Usage: sim_watch.sh READEF PLUGTEST
set -uo pipefail
TEST=sim_watch
READEF=${1:-} PLUGTEST=${2:-}
. "$(dirname "$0")/lib.sh"
sim_check
[ -n "$PLUGTEST" ] && [ -x "$PLUGTEST" ] ||
  skip "plugtest not built (libpcsclite-dev missing?)"
sim_start no-pcscd

coproc PT { "$PLUGTEST" 2>>"$WORK/plugtest.log"; }
PT_IN=${PT[1]} PT_OUT=${PT[0]}
trap 'exec {PT_IN}>&-; sim_cleanup' EXIT  # EOF ends plugtest

# t LABEL COMMAND...: send one command; its answer must start with "ok"
# (and with $want when set).  The answer is in $ANS.
ANS=""
t() {
  local label=$1; shift
  echo "$*" >&"$PT_IN"
  if ! read -r -t 30 ANS <&"$PT_OUT"; then
    fail "$label: no answer to '$*'"; ANS=""; return 1
  fi
  case $ANS in
    ok*) echo "ok   $label: $ANS" ;;
    *) fail "$label: '$*' -> $ANS"$'\n'"$(tail -5 "$WORK/plugtest.log")" ;;
  esac
}
# answer_has LABEL TEXT: the last answer contains TEXT.
answer_has() { case $ANS in *"$2"*) ;; *) fail "$1: answer '$ANS' lacks '$2'" ;; esac; }

# The card's trace since mark: VERIFYs with data (a PIN sent).
mark() { SEEN=$(wc -l <"$WORK/vcard.log"); }
verifies() { tail -n +"$((SEEN + 1))" "$WORK/vcard.log" | grep -c '^> 0020000108<pin>'; }
status_verifies() { tail -n +"$((SEEN + 1))" "$WORK/vcard.log" | grep -c '^> 00200001$'; }
want_verifies() { # want_verifies LABEL N
  local n; n=$(verifies)
  [ "$n" -eq "$2" ] || fail "$1: $n VERIFY with a PIN in the card's trace, expected $2"
}
# tries_left: PIN1's counter, read with readef (an empty VERIFY: no try).
tries_is() { # tries_is LABEL N
  "$READEF" --reader "$READER" --wait 10000 read >/dev/null 2>"$WORK/err"
  grep -q "PIN1 required (6982), $2 tries left" "$WORK/err" ||
    fail "$1: the card's PIN1 counter: $(cat "$WORK/err"), expected $2 tries left"
}

# 1. No pcscd: the thread retries; destroy() still returns at once.
t "no pcscd: create" new
answer_has "origin smartcard (PDM_ORIGIN_SMARTCARD)" "origin 2"
t "no pcscd: watch" watch
t "no pcscd: quiet" quiet 1000
t "no pcscd: probe" probe -4
t "no pcscd: the thread's problem logged" log "card watch: PC/SC: Service not available. (is pcscd running?); retrying every 2 s"
t "no pcscd: destroy" destroy 1000

# 2. pcscd comes back: one signal; then nothing while nothing changes.
t "pcscd back: create" new
t "pcscd back: watch" watch
sim_pcscd
t "pcscd back: readable" readable 4000
t "pcscd back: probe (no card)" probe -4
t "pcscd back: quiet" quiet 1000

# 3. A card comes and goes.
insert dm
t "insert: readable" readable 3000
t "insert: probe" probe 0
t "insert: read" read
answer_has "read" "1505 bytes application/vnd.syncml.dm+wbxml from 89490200001234567890"
t "insert: probe's own connect and reset do not signal" quiet 1000
remove
t "remove: readable" readable 3000
# The core holds the card's account (read above) and learns that the card
# left from present_ids(), which it asks before probe(): the probe leaves
# the change signalled for the next scan.
t "remove: probe leaves it for present_ids" probe -4 pending
t "remove: logged" log "card watch: a card was inserted or removed since the present cards were last checked: nothing offered until the next scan checks them"
t "remove: present_ids" present 0
t "remove: probe" probe -4
t "remove: quiet" quiet 1000
# 4. destroy() while the thread waits in SCardGetStatusChange.
t "pcscd running: destroy" destroy 1000

# 4b. Swaps: a card pulled and another put in with no wait between, seen
# however the scans fall.  Both cards have the same ATR and both looks
# see a card present: only pcsclite's event counter and the ICCID differ.
A=89490200001234567890 B=89490200009876543210
# swap NAME ICCID: the card in the reader goes and NAME goes in as soon
# as pcscd has seen the reader empty (remove waits for that, not for the
# plugin); returns when pcscd has NAME (its ICCID read).  A swap faster
# than pcscd's presence poll is invisible to every PC/SC client (no event,
# the counter unchanged): with the emulator it happened whenever the
# machine was idle, so the test waits for pcscd, never for the plugin.
swap() { remove; insert "$1"; wait_iccid "$2"; }
insert dm; wait_card
t "swap: create" new
t "swap: watch" watch
t "swap: startup scan: probe" probe 0
t "swap: startup scan: read" read
answer_has "swap: the first card" "from $A"
t "swap: quiet" quiet 500
# The fastest swap the emulator allows, the watch polled: readable, and
# the next scan sees the old card gone and the new one there.
swap dm-b $B
t "fast swap: readable" readable 3000
t "fast swap: present_ids" present 1
answer_has "fast swap: the new card only" "present 1 $B"
t "fast swap: probe" probe 0
t "fast swap: read" read
answer_has "fast swap: the new card's document" "from $B"
t "fast swap: quiet" quiet 1000
# A swap between the core's present_ids() and its probe() (the scan's
# start): the probe drains the watch, yet must not offer the new card
# before the core has seen the old one go.
t "swap in a scan: present_ids" present 1
answer_has "swap in a scan: before" "present 1 $B"
swap dm $A
t "swap in a scan: signalled (not polled: the core is in its scan)" readable 3000
t "swap in a scan: probe" probe -4 pending
t "swap in a scan: present_ids (next scan)" present 1
answer_has "swap in a scan: the old card gone" "present 1 $A"
t "swap in a scan: probe (next scan)" probe 0
t "swap in a scan: read" read
answer_has "swap in a scan: the new card's document" "from $A"
t "swap in a scan: quiet" quiet 1000
# A swap during the scan that read the old card (its next probe), with
# the watch not polled meanwhile.
swap dm-b $B
t "swap after a read: signalled (not polled)" readable 3000
t "swap after a read: probe" probe -4 pending
t "swap after a read: present_ids" present 1
answer_has "swap after a read: the old card gone" "present 1 $B"
t "swap after a read: probe" probe 0
t "swap after a read: read" read
t "swap after a read: quiet" quiet 1000
t "swap: destroy" destroy 1000
# A swap before the watch starts (the agent scans at start-up, then asks
# watch_fd()): the watch starts from the scan's look at the readers.
t "swap before watch: create" new
t "swap before watch: probe" probe 0
swap dm $A
t "swap before watch: watch" watch
t "swap before watch: readable" readable 3000
t "swap before watch: destroy" destroy 1000
# A core that never asks present_ids() (it keeps no account of this
# source): one deferred scan per change, then the new card is offered.
t "no present_ids: create" new
t "no present_ids: watch" watch
t "no present_ids: probe" probe 0
t "no present_ids: read" read
swap dm-b $B
t "no present_ids: readable" readable 3000
t "no present_ids: probe" probe -4 pending
t "no present_ids: next scan: probe" probe 0
t "no present_ids: next scan: read" read
answer_has "no present_ids: the new card's document" "from $B"
t "no present_ids: quiet" quiet 1000
t "no present_ids: destroy" destroy 1000
remove

# 5. The PIN card (AODF: PIN1 = reference 01; a local PIN 81 first).
insert pin; wait_card
mark
t "pin cancel: create" new
t "pin cancel: answer" answer cancel
t "pin cancel: probe" probe -4
answer_has "pin cancel" "asks=1 tries=3 text=Enter the SIM PIN to read the operator's device-management settings"
t "pin cancel: logged" log "EF(DM_Bootstrap) 3F0050154402: the SIM PIN was not given: not read (no try spent)"
t "pin cancel: destroy" destroy 1000
want_verifies "pin cancel" 0
[ "$(status_verifies)" -eq 1 ] || fail "pin cancel: expected one status VERIFY (no data), got $(status_verifies)"
tries_is "pin cancel" 3

mark
t "pin not digits: create" new
t "pin not digits: answer" answer 12ab
t "pin not digits: probe" probe -4
t "pin not digits: logged" log "the SIM PIN given is not 4 to 8 digits: not sent to the card (no try spent)"
t "pin not digits: destroy" destroy 1000
want_verifies "pin not digits" 0

mark
t "pin wrong: create" new
t "pin wrong: answer" answer 1111
t "pin wrong: probe" probe -4
answer_has "pin wrong" "asks=1 tries=3"
t "pin wrong: logged" log "EF(DM_Bootstrap) 3F0050154402: wrong SIM PIN, 2 tries left: not read (not asked again in this scan)"
t "pin wrong: no PIN in the log" nolog 1111
t "pin wrong: destroy" destroy 1000
want_verifies "pin wrong" 1
tries_is "pin wrong" 2

mark
t "pin host 1.1: create" new noask
t "pin host 1.1: probe" probe -4
t "pin host 1.1: logged" log "EF(DM_Bootstrap) 3F0050154402 is PIN-protected: cannot ask for the PIN (the host has no PIN prompt; ABI 1.2 needed)"
t "pin host 1.1: destroy" destroy 1000
want_verifies "pin host 1.1" 0

mark
# option.pin_ref=02 would be refused (6A88): the AODF's 01 is used.
t "pin right: create" new pin_ref=02
t "pin right: answer" answer 2468
t "pin right: probe" probe 0
answer_has "pin right" "asks=1 tries=2"
t "pin right: read" read
answer_has "pin right read" "1505 bytes"
t "pin right: verified" log "EF(DM_Bootstrap) 3F0050154402: SIM PIN verified"
t "pin right: no PIN in the log" nolog 2468
# The core probes again in the same scan, and scans again later: the PIN
# of a card whose document was offered is not asked again ...
t "pin right: probe again" probe -4
answer_has "pin right again" "asks=1"
t "pin right: not asked again" log "EF(DM_Bootstrap) 3F0050154402: the document of card 89490200001234567890 was offered already: the SIM PIN is not asked again until the card is inserted again"
want_verifies "pin right" 1
tries_is "pin right (counter reset)" 3
remove
# ... until the card leaves (present_ids() sees it gone) and comes back.
t "pin right: card gone" present 0
insert pin; wait_card
mark
t "pin back: answer" answer 2468
t "pin back: probe" probe 0
answer_has "pin back: asked again" "asks=2 tries=3"
t "pin back: destroy" destroy 1000
want_verifies "pin back" 1
remove
grep -qi '32343638' "$WORK/pin.trace" && fail "pin: the PIN's bytes appear in the card's trace"

# 6. No AODF: option.pin_ref (default 01; 02 is not on the card).
insert pin-noaodf; wait_card
mark
t "noaodf ref 02: create" new pin_ref=0x02
t "noaodf ref 02: probe" probe -4
answer_has "noaodf ref 02" "asks=0"
t "noaodf ref 02: logged" log "EF(DM_Bootstrap) 3F0050154402 is PIN-protected: VERIFY PIN 02 (from option.pin_ref, status): 6A88 (referenced data not found)"
t "noaodf ref 02: destroy" destroy 1000
t "noaodf: create" new
t "noaodf: answer" answer 2468
t "noaodf: probe" probe 0
t "noaodf: read" read
t "noaodf: destroy" destroy 1000
want_verifies "noaodf" 1
remove

# 7. 1 try left: not asked, nothing sent, unless pin_spend_last_try.
insert pin-last; wait_card
mark
t "pin-last: create" new
t "pin-last: answer" answer 2468
t "pin-last: probe" probe -4
answer_has "pin-last" "asks=0"
t "pin-last: logged" log "EF(DM_Bootstrap) 3F0050154402 is PIN-protected and the SIM PIN has 1 try left: not asked (a wrong PIN would block the SIM); enter the PIN in the phone's own SIM settings, or set option.pin_spend_last_try = true"
t "pin-last: destroy" destroy 1000
want_verifies "pin-last" 0
tries_is "pin-last" 1
mark
t "pin-last spend: create" new pin_spend_last_try=true
t "pin-last spend: answer" answer 2468
t "pin-last spend: probe" probe 0
answer_has "pin-last spend" "asks=1 tries=1"
t "pin-last spend: destroy" destroy 1000
want_verifies "pin-last spend" 1
remove

# 8. Blocked: not asked, no VERIFY with a PIN.
insert pin-blocked; wait_card
mark
t "pin-blocked: create" new
t "pin-blocked: answer" answer 2468
t "pin-blocked: probe" probe -4
answer_has "pin-blocked" "asks=0"
t "pin-blocked: logged" log "EF(DM_Bootstrap) 3F0050154402 is PIN-protected and the SIM PIN (01, from EF(AODF)) is blocked (6983): not asked; unblock it with the PUK in the phone's SIM settings"
t "pin-blocked: destroy" destroy 1000
want_verifies "pin-blocked" 0
remove

# 9. Bad options: refused at create, naming the option.
t "bad pin_ref" new pin_ref=zz
answer_has "bad pin_ref" "create -3: option.pin_ref: 'zz' is not a hex byte"
t "bad pin_ref 3 digits" new pin_ref=101
answer_has "bad pin_ref 3 digits" "create -3: option.pin_ref: '101'"
t "bad pin_spend_last_try" new pin_spend_last_try=yes
answer_has "bad pin_spend_last_try" "create -3: option.pin_spend_last_try: 'yes' is not true or false"

# 10. pcscd dies under the thread: logged from probe(); destroy() returns.
t "pcscd dies: create" new
t "pcscd dies: watch" watch
t "pcscd dies: quiet" quiet 500
kill "$P"; wait "$P"; P=""
sleep 0.5
t "pcscd dies: probe" probe -4
t "pcscd dies: logged" log "card watch: PC/SC:"
t "pcscd dies: destroy" destroy 1000
grep -qE '2468|1111' "$WORK/plugtest.log" && fail "a PIN appears in the plugin's log"

sim_pcscd
"$READEF" --reader "$READER" --wait 10000 absent || fail "pcscd did not come back"
sim_finish
