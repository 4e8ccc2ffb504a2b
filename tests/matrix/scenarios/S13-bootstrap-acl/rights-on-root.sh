#!/usr/bin/env bash
# Which rights the new authority gets is the authority's decision: after
# an operator-grade (USERNETWPIN) CP push of new.server (on the
# whitelist, not its owner, where there is one), may new.server Replace
# the root?  Observed with `tree explain`, which names the deciding rule
# or component.
. "$SRC/tests/matrix/lib.sh"
mx_device
mx_list new.server 'https://127.0.0.1:9/*'
printf 'pin=2468\n' >"$T/pin.ui"
mx_agent --ui-script "$T/pin.ui" || mx_outcome "agent did not start"
mx_push new.server --sec USERNETWPIN --imsi "$MX_IMSI" --pin 2468
stop_agent
[ "$MX_SAW" = allowed ] || mx_outcome "error: the bootstrap itself was $MX_SAW"
"$PDM" "${P[@]}" tree explain --server new.server --op Replace . >"$T/explain.txt" 2>&1
rc=$?
sed 's/^/     explain: /' "$T/explain.txt"
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
if [ $rc = 0 ]; then
  expect_in "$T/owner.txt" "root owner: new.server" "new.server owns root"
  mx_outcome allowed
fi
expect_not_in "$T/owner.txt" "root owner: new.server" "new.server does not own root"
comp=$(sed -n 's/^  decided by \([^ :]*\):.*/\1/p' "$T/explain.txt" | head -1)
mx_outcome "refused by ${comp:-?}"
