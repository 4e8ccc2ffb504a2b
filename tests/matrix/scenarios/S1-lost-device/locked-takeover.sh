#!/usr/bin/env bash
# While the device is locked (lib.sh mx_locked: its authority boot.server
# locked it over verified HTTPS), the thief, as the local user, asks to
# make test.server (a factory account) the root owner and confirms.
# Where takeover is otherwise allowed (cdma-3gpp2's friendly takeover,
# S3) the lock must stop it: the core asks the authority first, with
# PDM_AUTH_INFO_DEVICE_LOCKED, and 3gpp2-takeover refuses "while the
# device is locked" (the profile's header); the other markets' authorities
# never allow a takeover.  Root and the lock stay as they were.
. "$SRC/tests/matrix/lib.sh"
mx_need_plugin lost-device-lock
mx_locked
stop_agent
printf 'confirm=yes\n' >"$T/yes.ui"
"$PDM" "${P[@]}" takeover test.server --ui-script "$T/yes.ui" >"$T/takeover.out" 2>&1
mx_local $? "$T/takeover.out"
"$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
expect_not_in "$T/owner.txt" "root owner: test.server" "root did not move to test.server"
case $MX_SAW in
*3gpp2-takeover*) expect_in "$T/takeover.out" "refused while the device is locked" "the refusal names the lock" ;;
esac
"$PDM" "${P[@]}" lock status >"$T/lock.txt" 2>&1
expect_in "$T/lock.txt" "state: 10 (fully locked)" "still locked"
mx_outcome "$MX_SAW"
