#!/usr/bin/env bash
# The same takeover request, but the user answers "no" to the
# confirmation: where the market allows takeovers the user's answer
# decides; elsewhere the authority refuses before anyone is asked.
. "$SRC/tests/matrix/lib.sh"
mx_device "$T/dev" "$SRC/tests/engine/local.tnds.xml"
printf 'confirm=no\n' >"$T/no.ui"
"$PDM" "${P[@]}" takeover srv-b --ui-script "$T/no.ui" >"$T/takeover.out" 2>&1
mx_local $? "$T/takeover.out"
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
expect_in "$T/owner.txt" "root owner: nobody" "root did not move"
mx_outcome "$MX_SAW"
