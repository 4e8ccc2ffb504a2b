#!/usr/bin/env bash
# While the device is locked (lib.sh mx_locked), the thief, as the local
# user, deletes the lock authority's own DM account (boot.server), which
# would cut the device off from the server that can wipe it.  Refused and
# audited; the account stays.
. "$SRC/tests/matrix/lib.sh"
mx_need_plugin lost-device-lock
mx_locked
stop_agent
printf 'confirm=yes\n' >"$T/yes.ui"
"$PDM" "${P[@]}" account delete boot.server --ui-script "$T/yes.ui" >"$T/delete.out" 2>&1
mx_local $? "$T/delete.out"
account_of boot.server || fail "boot.server's account is gone"
mx_outcome "$MX_SAW"
