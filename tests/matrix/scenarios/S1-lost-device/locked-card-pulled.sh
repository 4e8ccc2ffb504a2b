#!/usr/bin/env bash
# The thief pulls the locker's card (matrix finding 1).  The operator's
# card provisions boot.server (the virtual SIM, read by the running
# agent; the card's account owns root, so it is the lock authority), and
# boot.server locks the device over LAWMO in its first session
# (lock.scn).  The thief pulls the card: the core would remove the card's
# account (bootstrap.removed_source = delete), which took root and the
# lock authority with it and left a lock nobody could lift.  Now
# lost-device-lock refuses that removal while locked, as it refuses any
# local account deletion (locked_deny account-delete): the row's outcome
# is the removal's verdict.  Then, the device still locked: another
# operator's card is refused (locked_smartcard), the owner's card goes
# back in, and boot.server unlocks the device in a session of its own
# (unlock.scn) -> unlocked.  n/a where the profile reads no card.
MX_SIM=1
. "$SRC/tests/matrix/lib.sh"
mx_need_plugin lost-device-lock
mx_sim
mx_https || mx_outcome "no PKI"
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
start_server auth "$MX_SCN/S1-lost-device/lock.scn" "${TLS[@]}" || mx_outcome "no test server"
MX_AUTH_PID=$SRV_PID; MX_AUTH_URL=$SRV_URL; MX_AUTH_PORT=$SRV_PORT
mx_list boot.server "${MX_AUTH_URL%%\?*}" owner
mx_card op boot.server a "$MX_AUTH_URL"
OWNER_ICCID=$MX_ICCID
mx_card thief other.server b
mx_agent || mx_outcome "agent did not start"
mx_card_in op boot.server
[ "$MX_SAW" = allowed ] || mx_outcome "error: the owner's card was $MX_SAW"
SRV_PID=$MX_AUTH_PID wait_server auth
mx_lock_verdict boot.server auth s1-lock
[ "$MX_SAW" = allowed ] || mx_outcome "error: boot.server's lock was $MX_SAW"

# The thief pulls the card.
mx_remove
mx_card_gone "$OWNER_ICCID"
"$PDM" "${P[@]}" lock status >"$T/lock.txt" 2>&1
expect_in "$T/lock.txt" "state: 10 (fully locked)" "still locked after the card went"
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
case $MX_GONE in
not)
  account_of boot.server && ok "boot.server's account $ACC stays" || fail "not removed, yet no account of boot.server"
  expect_in "$T/owner.txt" "root owner: boot.server" "boot.server still owns root"
  row=$(grep -F "no longer has $OWNER_ICCID" "$T/audit.txt" | tail -1)
  comp=$(printf '%s\n' "$row" | awk '{print $6}')
  case $row in *"removing a DM account whose bootstrap source went"*) ok "the refusal names the rule" ;;
  *) fail "the refusal does not name lost-device-lock's rule" ;; esac
  GONE="refused by $comp" ;;
removed) GONE=allowed ;;
*) mx_outcome "error: BootstrapSourceGone says '$MX_GONE'" ;;
esac

# Another operator's card while locked: refused, nothing lands.
mx_card_in thief other.server
THIEF=$MX_SAW
[ "$THIEF" = "refused by policy:lost-device-lock/lock" ] &&
  ok "the thief's card is refused by lost-device-lock" ||
  fail "the thief's card while locked: $THIEF"
mx_remove

# The owner's card back: its account is there (kept, or brought back).
mx_insert op
mx_until "boot.server's account after its card came back" account_of boot.server
ok "boot.server's account $ACC is there with its card"
stop_agent

# boot.server unlocks over a real session (the address on the card),
# authenticating with the server nonce the device issued in the first.
nonce=$(grep -o '<NextNonce[^>]*>[^<]*' "$T/auth.transcript" | tail -1 | sed 's/.*>//')
[ -n "$nonce" ] || mx_outcome "error: no server nonce in boot.server's first session"
sed "/^server-auth md5/s#nonce=text:bootsrvnonce#nonce=b64:$nonce#" \
  "$MX_SCN/S1-lost-device/unlock.scn" >"$T/unlock.scn"
SRV_FIXED_PORT=$MX_AUTH_PORT start_server unlock "$T/unlock.scn" "${TLS[@]}" ||
  mx_outcome "error: no test server for the unlock"
mx_session unlock boot.server
[ "$MX_SAW" = allowed ] && ok "boot.server's UnLock session passed" || fail "the unlock session: $MX_SAW"
"$PDM" "${P[@]}" lock status >"$T/lock.txt" 2>&1
expect_in "$T/lock.txt" "state: 30 (unlocked)" "unlocked by boot.server"
mx_outcome "$GONE"
