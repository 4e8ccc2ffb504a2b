#!/usr/bin/env bash
# While the device is locked (lib.sh mx_locked: its authority boot.server
# locked it over verified HTTPS), the thief, as the local user, edits an
# ACL (`polydm acl set ./Vendor Get=*`, confirmed), which open-market
# otherwise allows (S4).  Refused and audited; the ACL is unchanged.
. "$SRC/tests/matrix/lib.sh"
mx_need_plugin lost-device-lock
mx_locked
stop_agent
"$PDM" "${P[@]}" tree get './Vendor?prop=ACL' >"$T/acl-before.txt" 2>&1
printf 'confirm=yes\n' >"$T/yes.ui"
"$PDM" "${P[@]}" acl set ./Vendor 'Get=*' --ui-script "$T/yes.ui" >"$T/acl.out" 2>&1
mx_local $? "$T/acl.out"
"$PDM" "${P[@]}" tree get './Vendor?prop=ACL' >"$T/acl.txt" 2>&1
cmp -s "$T/acl-before.txt" "$T/acl.txt" && ok "the ACL is unchanged: $(cat "$T/acl.txt")" ||
  fail "the ACL changed: $(cat "$T/acl-before.txt") -> $(cat "$T/acl.txt")"
mx_outcome "$MX_SAW"
