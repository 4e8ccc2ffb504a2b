#!/usr/bin/env bash
# The user edits a node's ACL locally (`polydm acl set ./Vendor Get=*`),
# outside any CP bootstrap.
. "$SRC/tests/matrix/lib.sh"
mx_device "$T/dev" "$SRC/tests/engine/local.tnds.xml"
printf 'confirm=yes\n' >"$T/yes.ui"
"$PDM" "${P[@]}" acl set ./Vendor 'Get=*' --ui-script "$T/yes.ui" >"$T/acl.out" 2>&1
mx_local $? "$T/acl.out"
"$PDM" "${P[@]}" tree get './Vendor?prop=ACL' >"$T/acl.txt" 2>&1
if [ "$MX_SAW" = allowed ]; then
  expect_in "$T/acl.txt" "Get=*" "the new ACL is stored"
  "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
  expect_in "$T/audit.txt" "ACL of ./Vendor set to" "the edit is audited"
else
  expect_not_in "$T/acl.txt" "Get=*" "the ACL is unchanged"
fi
mx_outcome "$MX_SAW"
