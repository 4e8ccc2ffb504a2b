#!/usr/bin/env bash
# The thief's swap, as fast as the emulator allows: card.server's card
# (ICCID 89490200001234567890) provisions the device, then it is pulled
# and another operator's card (other.server, ICCID 89490200009876543210)
# put in at once, with no wait for the agent between (S2/card-swapped
# waits for the pull to be seen first).  Both looks at the reader may see
# a card: the plugin must still see the swap (pcsclite's event counter,
# the ICCID), and the core must remove the first card's account
# (BootstrapSourceGone, checked) before the new card's document is
# applied (its Bootstrap row after that one, checked).  The outcome is the
# new card's: allowed (other.server's account is there, from origin
# smartcard; under gsm-operator it owns root), or refused by the
# component the audit names.  n/a where the profile reads no card.
MX_SIM=1
. "$SRC/tests/matrix/lib.sh"
mx_sim
mx_device
mx_list card.server 'https://127.0.0.1:9/*'
mx_list other.server 'https://127.0.0.1:9/*'
mx_card op card.server
iccid_a=$MX_ICCID
mx_card other other.server b
mx_agent || mx_outcome "agent did not start"
mx_card_in op card.server
[ "$MX_SAW" = allowed ] || mx_outcome "error: the first card's bootstrap was $MX_SAW"
mx_remove
mx_card_in other other.server
mx_card_gone "$iccid_a"
[ "$MX_GONE" = removed ] && ok "the first card's account was removed" ||
  fail "the first card's account was $MX_GONE"
account_of card.server && fail "$ACC of the pulled card is still there"
# The pulled card's row comes before the new card's verdict.
gone=$(grep -nF "no longer has $iccid_a" "$T/audit.txt" | head -1 | cut -d: -f1)
new=$(grep -n 'bootstrap:sim-bootstrap/sim Bootstrap .*ServerID other.server' "$T/audit.txt" | head -1 | cut -d: -f1)
[ -n "$gone" ] && [ -n "$new" ] && [ "$gone" -lt "$new" ] &&
  ok "BootstrapSourceGone for $iccid_a before other.server's Bootstrap row" ||
  fail "audit order: BootstrapSourceGone at line ${gone:-none}, other.server's Bootstrap at line ${new:-none}"
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
sed 's/^/     /' "$T/owner.txt"
stop_agent
mx_outcome "$MX_SAW"
