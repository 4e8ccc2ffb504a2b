#!/usr/bin/env bash
# A server that is not the lock authority tries to lock the device:
# boot.server is the authority (as in S1/lock-by-owner; its first session
# only reads State), then test.server, a factory account (on the
# whitelist where there is one, not its owner), sends LAWMO FullyLock
# over verified HTTPS.  Its session runs; the Exec is answered 425 and
# audited with the deciding component; the device is not locked.
. "$SRC/tests/matrix/lib.sh"
mx_need_plugin lost-device-lock
mx_https || mx_outcome "no PKI"
start_server other "$MX_SCN/S1-lost-device/other-lock.scn" "${TLS[@]}" || mx_outcome "no test server"
pid_other=$SRV_PID; url_other=$SRV_URL
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
mx_list test.server "${url_other%%\?*}"
mx_authority "$MX_SCN/S1-lost-device/idle.scn"
stop_agent
SRV_PID=$pid_other mx_session other test.server
[ "$MX_SAW" = allowed ] || mx_outcome "error: test.server's session was $MX_SAW"
mx_lock_verdict test.server other s1-other
expect_not_in "$DEV/device.jsonl" '"action":"lock' "the device was never asked to lock"
mx_outcome "$MX_SAW"
