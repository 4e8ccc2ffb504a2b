#!/usr/bin/env bash
# A correctly signed (USERNETWPIN) CP push for a ServerID the device
# already has an account for (test.server, from the factory): a CP
# re-bootstrap would replace that server's address and credentials.
. "$SRC/tests/matrix/lib.sh"
mx_device
mx_list test.server 'https://127.0.0.1:9/*'
printf 'pin=2468\n' >"$T/pin.ui"
mx_agent --ui-script "$T/pin.ui" || mx_outcome "agent did not start"
account_of test.server && acc0=$ACC
MX_EXISTING=1 mx_push test.server --sec USERNETWPIN --imsi "$MX_IMSI" --pin 2468
stop_agent
[ "$MX_SAW" = allowed ] || expect_value "$acc0/AppAddr/1/Addr" "$SRV_URL"
mx_outcome "$MX_SAW"
