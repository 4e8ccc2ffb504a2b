#!/usr/bin/env bash
# The other order of the precedence (terminal-policy `precedence`): a
# correctly signed OMA CP push (USERNETWPIN, the PIN typed) has
# bootstrapped push.server, then the operator's card (card.server) is
# inserted while the agent runs.  `precedence = ota` refuses the card's
# document while an over-the-air account exists; `smartcard` and
# `first` leave it to the other rules, and the authority decides whether
# a second operator may come (operator-root: not while the push's
# operator owns root, `replace_operator = false`).  The outcome is the
# card's document's, from the audit.  n/a where the profile reads no
# card.
MX_SIM=1
. "$SRC/tests/matrix/lib.sh"
mx_sim
mx_device
mx_list card.server 'https://127.0.0.1:9/*'
mx_list push.server 'https://127.0.0.1:9/*'
mx_card op card.server
printf 'pin=2468\n' >"$T/pin.ui"
mx_agent --ui-script "$T/pin.ui" || mx_outcome "agent did not start"
mx_push push.server --sec USERNETWPIN --imsi "$MX_IMSI" --pin 2468
[ "$MX_SAW" = allowed ] || mx_outcome "error: the push itself was $MX_SAW"
mx_card_in op card.server
account_of push.server && ok "the pushed account $ACC stays" || fail "the pushed account is gone"
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
sed 's/^/     /' "$T/owner.txt"
stop_agent
mx_outcome "$MX_SAW"
