#!/usr/bin/env bash
# A rogue server's OMA CP push, correctly signed with USERNETWPIN (the
# strongest SEC method: the attacker learnt the IMSI and talked the user
# into typing the PIN), for a server no one approved (rogue.server).
. "$SRC/tests/matrix/lib.sh"
mx_device
printf 'pin=2468\n' >"$T/pin.ui"
mx_agent --ui-script "$T/pin.ui" || mx_outcome "agent did not start"
mx_push rogue.server --sec USERNETWPIN --imsi "$MX_IMSI" --pin 2468
stop_agent
mx_outcome "$MX_SAW"
