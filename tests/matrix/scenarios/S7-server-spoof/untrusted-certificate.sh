#!/usr/bin/env bash
# A rogue server at test.server's address with a certificate from a CA
# the device does not trust (another throwaway PKI): the TLS handshake
# fails, nothing is sent.
. "$SRC/tests/matrix/lib.sh"
mx_https || mx_outcome "no PKI"
trusted=("${MX_TLS_LINES[@]}")
mv "$T/pki" "$T/pki-trusted"
mx_https || mx_outcome "no PKI"
start_server srv "$E2E_SCN/https.scn" "${TLS[@]}" || mx_outcome "no test server"
mx_device "$T/dev" "$MX_TREE" "${trusted[@]//pki/pki-trusted}"
mx_list test.server "${SRV_URL%%\?*}"
mx_session srv test.server
expect_not_in "$T/srv.transcript" "C->S" "nothing reached the rogue server"
mx_outcome "$MX_SAW"
