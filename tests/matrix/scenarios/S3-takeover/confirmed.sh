#!/usr/bin/env bash
# The user asks to make another known server (srv-b) the root owner and
# confirms it (3GPP2 "friendly takeover").  Observed: the command's exit
# and refusal, the root owner after it, the audit row.
. "$SRC/tests/matrix/lib.sh"
mx_device "$T/dev" "$SRC/tests/engine/local.tnds.xml"
printf 'confirm=yes\n' >"$T/yes.ui"
"$PDM" "${P[@]}" takeover srv-b --ui-script "$T/yes.ui" >"$T/takeover.out" 2>&1
mx_local $? "$T/takeover.out"
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
if [ "$MX_SAW" = allowed ]; then
  expect_in "$T/owner.txt" "root owner: srv-b" "srv-b owns root"
else
  expect_in "$T/owner.txt" "root owner: nobody" "root did not move"
fi
grep -q "local .*Takeover" "$T/audit.txt" 2>/dev/null || "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
expect_in "$T/audit.txt" "Takeover" "the request is audited"
mx_outcome "$MX_SAW"
