#!/usr/bin/env bash
# The device's lock authority locks it: boot.server becomes the authority
# the way the market decides (lib.sh mx_authority: an operator-grade
# USERNETWPIN CP push makes it the root owner, or the whitelist's owner
# entry where there is a whitelist; open-market names it in
# option.lock_authority instead of the shipped file's demo.server) and
# sends LAWMO FullyLock in its first session, over verified HTTPS.
# Allowed: State 10 set by boot.server, 202 and OperationComplete 1200
# with the Correlator on the wire.
. "$SRC/tests/matrix/lib.sh"
mx_need_plugin lost-device-lock
mx_https || mx_outcome "no PKI"
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
mx_authority "$MX_SCN/S1-lost-device/lock.scn"
stop_agent
mx_lock_verdict boot.server auth s1-lock
[ "$MX_SAW" = allowed ] &&
  expect_in "$DEV/device.jsonl" '"action":"lock-full","detail":"server=boot.server; answer=ok"' \
    "the device locked on boot.server's order"
mx_outcome "$MX_SAW"
