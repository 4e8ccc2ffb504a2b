#!/usr/bin/env bash
# A bootstrap writes a new account under ./DMAcc although no ACL grants
# anyone Add there (bootstrap writes bypass node ACLs, spec), signed with
# USERNETWPIN so that no market's SEC rule refuses it, the server on the
# whitelist where there is one.  Terminal policy still applies (S6 shows
# its refusals).
. "$SRC/tests/matrix/lib.sh"
mx_device
mx_list new.server 'https://127.0.0.1:9/*'
"$PDM" "${P[@]}" tree explain --server new.server --op Add ./DMAcc/new >"$T/explain-before.txt" 2>&1
printf 'pin=2468\n' >"$T/pin.ui"
mx_agent --ui-script "$T/pin.ui" || mx_outcome "agent did not start"
mx_push new.server --sec USERNETWPIN --imsi "$MX_IMSI" --pin 2468
stop_agent
mx_outcome "$MX_SAW"
