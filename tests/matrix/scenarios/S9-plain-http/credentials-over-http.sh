#!/usr/bin/env bash
# A session with test.server over plain HTTP: the client's MD5
# credentials (and the server's) would cross the network readable to an
# eavesdropper.  Where a whitelist exists test.server is on it (at its
# http:// address it cannot be: the list takes https:// only).
. "$SRC/tests/matrix/lib.sh"
start_server srv "$MX_SCN/S9-plain-http/session.scn" || mx_outcome "no test server"
mx_device
mx_list test.server "https://127.0.0.1:$SRV_PORT/dm"
mx_session srv test.server
mx_outcome "$MX_SAW"
