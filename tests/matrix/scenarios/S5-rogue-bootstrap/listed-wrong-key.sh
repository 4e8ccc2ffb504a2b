#!/usr/bin/env bash
# A session over verified HTTPS with test.server (a factory account) whose
# TLS key is not the one the whitelist pins for it: a rogue server with a
# certificate from a trusted CA.  Where there is no whitelist, the
# certificate's CA decides and the session runs.
. "$SRC/tests/matrix/lib.sh"
mx_https || mx_outcome "no PKI"
start_server srv "$E2E_SCN/https.scn" "${TLS[@]}" || mx_outcome "no test server"
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
MX_PIN=$MX_EXAMPLE_PIN mx_list test.server "${SRV_URL%%\?*}"
mx_session srv test.server
mx_has enterprise-whitelist && expect_in "$T/audit.txt" "key pin does not match" "the audit names the pin check"
mx_outcome "$MX_SAW"
