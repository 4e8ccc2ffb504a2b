#!/usr/bin/env bash
# The same session over verified HTTPS.
. "$SRC/tests/matrix/lib.sh"
mx_https || mx_outcome "no PKI"
start_server srv "$MX_SCN/S9-plain-http/session.scn" "${TLS[@]}" || mx_outcome "no test server"
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
mx_list test.server "${SRV_URL%%\?*}"
mx_session srv test.server
mx_outcome "$MX_SAW"
