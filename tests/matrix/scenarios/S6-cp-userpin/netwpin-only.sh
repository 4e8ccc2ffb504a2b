#!/usr/bin/env bash
# An over-the-air OMA CP push for an ordinary server, secured with NETWPIN
# only (keyed by the IMSI, which an attacker can learn): taken where the
# market trusts NETWPIN, refused where it demands USERNETWPIN (the user's
# PIN as well).  Where a whitelist exists the server is on it, so the
# SEC rule is what is tested.
. "$SRC/tests/matrix/lib.sh"
mx_device
mx_list plain.server 'https://127.0.0.1:9/*'
mx_agent || mx_outcome "agent did not start"
mx_push plain.server --sec NETWPIN --imsi "$MX_IMSI"
stop_agent
mx_outcome "$MX_SAW"
