#!/usr/bin/env bash
# A USERPIN-secured CP push (only the user's PIN: a rogue CP server can
# make the user type it) for the server the market would make privileged:
# USERNETWPIN-grade operator (gsm-operator, cdma-3gpp2) or the whitelist's
# owner (enterprise).  Whatever the verdict, a user PIN never makes a root
# owner: checked in every profile.
. "$SRC/tests/matrix/lib.sh"
mx_device
mx_list corp.server 'https://127.0.0.1:9/*' owner
printf 'pin=2468\n' >"$T/pin.ui"
mx_agent --ui-script "$T/pin.ui" || mx_outcome "agent did not start"
mx_push corp.server --sec USERPIN --pin 2468
stop_agent
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
expect_not_in "$T/owner.txt" "root owner: corp.server" "a USERPIN document made no root owner"
mx_outcome "$MX_SAW"
