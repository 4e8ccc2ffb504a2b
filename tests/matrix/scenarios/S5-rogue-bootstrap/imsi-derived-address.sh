#!/usr/bin/env bash
# The seed's SUPL-style idea: an operator bootstrap is accepted only for a
# server address derived from the IMSI's home network (MCC/MNC).  The
# shipped gsm-operator profile documents the option
# (operator-root option.address_pattern) commented out; the case turns it
# on and pushes a NETWPIN operator document for another address.  n/a
# where the profile has no operator authority.
. "$SRC/tests/matrix/lib.sh"
mx_device
mx_has operator-root || mx_outcome "n/a (no operator authority in $MX_PROFILE)"
profile_set "$DEV" "plugin operator-root" option.address_pattern \
  'https://dm.mnc{mnc3}.mcc{mcc}.pub.3gppnetwork.org/*'
mx_agent || mx_outcome "agent did not start"
mx_push op.server --sec NETWPIN --imsi "$MX_IMSI"
stop_agent
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
expect_not_in "$T/owner.txt" "root owner: op.server" "the server at another address is not the operator"
mx_outcome "$MX_SAW"
