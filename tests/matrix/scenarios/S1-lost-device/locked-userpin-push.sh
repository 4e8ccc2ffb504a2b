#!/usr/bin/env bash
# While the device is locked (lib.sh mx_locked), a thief's OMA CP push of
# a new server (thief.server, on the whitelist where there is one, so the
# lock is what is tested), correctly signed with USERPIN and the PIN
# typed on the device.  Refused and audited; no account.
. "$SRC/tests/matrix/lib.sh"
mx_need_plugin lost-device-lock
MX_UI='pin=1111
'
mx_https || mx_outcome "no PKI"
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
mx_list thief.server 'https://127.0.0.1:9/*'
mx_locked
mx_push thief.server --sec USERPIN --pin 1111
stop_agent
"$PDM" "${P[@]}" lock status >"$T/lock.txt" 2>&1
expect_in "$T/lock.txt" "state: 10 (fully locked)" "still locked"
mx_outcome "$MX_SAW"
