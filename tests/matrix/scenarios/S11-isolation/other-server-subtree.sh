#!/usr/bin/env bash
# Two servers at root (verified HTTPS, both on the whitelist where there
# is one): test.server creates ./Vendor/AOnly; hmac.server, which the
# inherited ./Vendor ACL allows to Replace and Delete there, tries to
# Replace, Delete and re-ACL it (e2e's isolation-a.scn, isolation-b.scn:
# the second expects 425 for all three).  The deciding component comes
# from the audit rows; `tree explain` must name the same one.
. "$SRC/tests/matrix/lib.sh"
mx_https || mx_outcome "no PKI"
start_server srvb "$E2E_SCN/isolation-b.scn" "${TLS[@]}" || mx_outcome "no test server"
pidb=$SRV_PID; urlb=$SRV_URL
start_server srva "$E2E_SCN/isolation-a.scn" "${TLS[@]}" || mx_outcome "no test server"
awk -v b="$urlb" '/<NodeName>hmac<\/NodeName>/ { h = 1 }
  h && /@URL@/ { sub("@URL@", b); h = 0 } { print }' "$MX_TREE" >"$T/tree-ab.xml"
mx_device "$T/dev" "$T/tree-ab.xml" "${MX_TLS_LINES[@]}"
mx_list test.server "${SRV_URL%%\?*}"
mx_list hmac.server "${urlb%%\?*}"
mx_session srva test.server
[ "$MX_SAW" = allowed ] || mx_outcome "error: test.server's session: $MX_SAW"
"$PDM" "${P[@]}" session --server hmac.server >"$T/srvb.session" 2>&1 ||
  { fail "hmac.server's session"; show "$T/srvb.session"; }
SRV_PID=$pidb wait_server srvb
"$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
comp=$(awk '$2 == "deny" && $3 == "server:hmac.server" && $5 == "./Vendor/AOnly" { print $6; exit }' "$T/audit.txt")
n=$(grep -E "deny +server:hmac.server +(Replace|Delete) +./Vendor/AOnly" "$T/audit.txt" | grep -c isolation)
"$PDM" "${P[@]}" tree explain --server hmac.server --op Replace ./Vendor/AOnly >"$T/explain.txt" 2>&1
if [ -n "$comp" ]; then
  [ "$n" -ge 2 ] && ok "Replace and Delete refused by isolation" || fail "$n isolation rows, expected 2"
  expect_in "$T/explain.txt" "$comp" "tree explain names $comp"
  mx_outcome "refused by $comp"
fi
expect_value ./Vendor/AOnly b-value
mx_outcome allowed
