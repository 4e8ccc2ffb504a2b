#!/usr/bin/env bash
# A session over verified HTTPS with test.server, a factory account the
# profile's whitelist (if any) does not list.
. "$SRC/tests/matrix/lib.sh"
mx_https || mx_outcome "no PKI"
start_server srv "$E2E_SCN/https.scn" "${TLS[@]}" || mx_outcome "no test server"
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
mx_session srv test.server
mx_has enterprise-whitelist && expect_in "$T/audit.txt" "is not on the whitelist" "the audit names the list check"
mx_outcome "$MX_SAW"
