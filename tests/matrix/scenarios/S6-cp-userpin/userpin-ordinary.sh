#!/usr/bin/env bash
# A USERPIN-secured CP push for an ordinary (not privileged) server:
# taken where a user PIN suffices for ordinary accounts, refused where the
# market demands USERNETWPIN over the air.
. "$SRC/tests/matrix/lib.sh"
mx_device
mx_list plain.server 'https://127.0.0.1:9/*'
printf 'pin=2468\n' >"$T/pin.ui"
mx_agent --ui-script "$T/pin.ui" || mx_outcome "agent did not start"
mx_push plain.server --sec USERPIN --pin 2468
stop_agent
mx_outcome "$MX_SAW"
