#!/usr/bin/env bash
# Precedence between the smart card and over the air (the profile's
# terminal-policy `precedence`): the operator's card has provisioned
# card.server (the virtual SIM, read by the running agent), then a
# correctly signed OMA CP push (USERNETWPIN, the PIN typed) bootstraps
# another server, push.server (a push for card.server itself would be
# refused first by the core's replace_existing).  `precedence =
# smartcard` refuses it while the card's account exists; `first` takes
# it.  The card's account stays either way.  n/a where the profile reads
# no card.
MX_SIM=1
. "$SRC/tests/matrix/lib.sh"
mx_sim
mx_device
mx_list card.server 'https://127.0.0.1:9/*'
mx_list push.server 'https://127.0.0.1:9/*'
mx_card op card.server
printf 'pin=2468\n' >"$T/pin.ui"
mx_agent --ui-script "$T/pin.ui" || mx_outcome "agent did not start"
mx_card_in op card.server
[ "$MX_SAW" = allowed ] || mx_outcome "error: the card's own bootstrap was $MX_SAW"
mx_push push.server --sec USERNETWPIN --imsi "$MX_IMSI" --pin 2468
account_of card.server && ok "the card's account $ACC stays" || fail "the card's account is gone"
stop_agent
mx_outcome "$MX_SAW"
