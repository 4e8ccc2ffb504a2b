#!/usr/bin/env bash
# The seed's "master" question (S11): may the authority that owns the
# device change a subtree another server created?  test.server creates
# ./Vendor/AOnly with a wildcard ACL (owner-a.scn); then boot.server becomes the
# device's authority the way the market decides (lib.sh mx_authority: an
# operator-grade USERNETWPIN push makes it the root owner, or the
# whitelist's owner entry; open-market has no root owner) and Replaces
# that node in its first session (master.scn): the ACL allows it, so
# only isolation and the authority's override decide.
# Allowed: the node has boot.server's value.  Refused: the deciding
# component of the isolation row, which `tree explain` must name too.
. "$SRC/tests/matrix/lib.sh"
mx_https || mx_outcome "no PKI"
start_server srva "$MX_SCN/S11-isolation/owner-a.scn" "${TLS[@]}" || mx_outcome "no test server"
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
mx_list test.server "${SRV_URL%%\?*}"
# The enterprise's list is stored at the device's first use (only the
# enterprise changes it later): its owner entry goes in now, for a test
# server that starts later on another port.
mx_list boot.server 'https://127.0.0.1:*/dm' owner
mx_session srva test.server
[ "$MX_SAW" = allowed ] || mx_outcome "error: test.server's session: $MX_SAW"
mx_authority "$MX_SCN/S11-isolation/master.scn"
stop_agent
"$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
comp=$(awk '$2 == "deny" && $3 == "server:boot.server" && $4 == "Replace" && $5 == "./Vendor/AOnly" { print $6; exit }' "$T/audit.txt")
if [ -n "$comp" ]; then
  "$PDM" "${P[@]}" tree explain --server boot.server --op Replace ./Vendor/AOnly >"$T/explain.txt" 2>&1
  expect_in "$T/explain.txt" "$comp" "tree explain names $comp"
  expect_value ./Vendor/AOnly a-value
  mx_outcome "refused by $comp"
fi
expect_value ./Vendor/AOnly master-value
mx_outcome allowed
