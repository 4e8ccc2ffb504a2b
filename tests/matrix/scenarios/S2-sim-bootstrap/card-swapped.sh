#!/usr/bin/env bash
# A card swap while the agent runs: card.server's card (ICCID
# 89490200001234567890) provisions the device, then it is pulled and
# another operator's card (other.server, ICCID 89490200009876543210) put
# in.  The scan after the change removes the first card's account
# (BootstrapSourceGone, checked) and offers the new card's document.
# The outcome is the new card's: allowed (other.server's account is
# there, from origin smartcard; under gsm-operator it owns root), or
# refused by the component the audit names.  n/a where the profile reads
# no card.
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
# The agent sees the pull before the other card goes in (two scans);
# S2/card-fast-swap is the swap with no wait between.
mx_card_gone "$iccid_a"
mx_card_in other other.server
[ "$MX_GONE" = removed ] && ok "the first card's account was removed" ||
  fail "the first card's account was $MX_GONE"
account_of card.server && fail "$ACC of the pulled card is still there"
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
sed 's/^/     /' "$T/owner.txt"
stop_agent
mx_outcome "$MX_SAW"
