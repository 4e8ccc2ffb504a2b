#!/usr/bin/env bash
# Lost or stolen device: the management server locks it (LAWMO Exec
# ./LAWMO/Operations/FullyLock over verified HTTPS, the server on the
# whitelist where there is one); then the thief, as the local user,
# edits an ACL, which open-market otherwise allows.  While locked every
# local change is refused by the lock policy.
# Needs plugins/lost-device-lock (issue 13): `not built` until it is in
# the build and the shipped profile loads it.  Written against
# docs/abi.md 1.4 before the plugin landed: check it when it does.
. "$SRC/tests/matrix/lib.sh"
mx_need_plugin lost-device-lock
mx_https || mx_outcome "no PKI"
start_server srv "$MX_SCN/S1-lost-device/lock.scn" "${TLS[@]}" || mx_outcome "no test server"
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
mx_list test.server "${SRV_URL%%\?*}" owner
mx_session srv test.server
[ "$MX_SAW" = allowed ] || mx_outcome "error: the lock session: $MX_SAW"
printf 'confirm=yes\n' >"$T/yes.ui"
"$PDM" "${P[@]}" acl set ./Vendor 'Get=*' --ui-script "$T/yes.ui" >"$T/acl.out" 2>&1
mx_local $? "$T/acl.out"
mx_outcome "$MX_SAW"
