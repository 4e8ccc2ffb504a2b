#!/usr/bin/env bash
# The operator's card provisions the device: a card carrying
# card.server's DM account (a DM-profile bootstrap, unsigned as card
# files are) is in the reader when the agent starts, and the agent reads
# it through pcscd with the profile's own sim-bootstrap (the virtual SIM,
# lib.sh mx_sim): at the start-up scan, or by its reader watch when pcscd
# reports the card a moment later.  Allowed: card.server's account is there, audited as a
# Bootstrap from bootstrap:sim-bootstrap/sim with origin smartcard and
# the deciding component (gsm-operator: operator-root makes card.server
# the root owner).  A market whose profile does not load sim-bootstrap
# reads no card: n/a.
MX_SIM=1
. "$SRC/tests/matrix/lib.sh"
mx_sim
mx_device
mx_list card.server 'https://127.0.0.1:9/*'
mx_card op card.server
mx_insert op
mx_agent || mx_outcome "agent did not start"
mx_card_verdict card.server 0
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
sed 's/^/     /' "$T/owner.txt"
stop_agent
mx_outcome "$MX_SAW"
