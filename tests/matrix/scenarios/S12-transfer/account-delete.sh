#!/usr/bin/env bash
# The user deletes a management authority's DM account (srv-c) locally.
. "$SRC/tests/matrix/lib.sh"
mx_device "$T/dev" "$SRC/tests/engine/local.tnds.xml"
printf 'confirm=yes\n' >"$T/yes.ui"
"$PDM" "${P[@]}" account delete srv-c --ui-script "$T/yes.ui" >"$T/delete.out" 2>&1
mx_local $? "$T/delete.out"
if [ "$MX_SAW" = allowed ]; then
  account_of srv-c && fail "srv-c's account is still there"
else
  account_of srv-c || fail "srv-c's account is gone after a refusal"
fi
mx_outcome "$MX_SAW"
