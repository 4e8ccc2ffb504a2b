#!/usr/bin/env bash
# The user moves management from authority srv-a to srv-b (`polydm
# transfer`, confirmed): srv-a's ServerID leaves every ACL, its account
# goes.  Where a whitelist exists srv-b is on it.
. "$SRC/tests/matrix/lib.sh"
mx_device "$T/dev" "$SRC/tests/engine/local.tnds.xml"
mx_list srv-b 'https://b.test/dm'
printf 'confirm=yes\n' >"$T/yes.ui"
"$PDM" "${P[@]}" transfer --from srv-a --to srv-b --ui-script "$T/yes.ui" >"$T/transfer.out" 2>&1
mx_local $? "$T/transfer.out"
if [ "$MX_SAW" = allowed ]; then
  account_of srv-a && fail "srv-a's account is still there"
  "$PDM" "${P[@]}" tree export -o "$T/after.xml" >/dev/null 2>&1
  expect_not_in "$T/after.xml" "=srv-a" "srv-a is in no ACL"
else
  account_of srv-a || fail "srv-a's account is gone after a refusal"
fi
mx_outcome "$MX_SAW"
