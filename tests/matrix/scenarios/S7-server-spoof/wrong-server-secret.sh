#!/usr/bin/env bash
# A rogue server at test.server's address (verified HTTPS, on the
# whitelist where there is one) knows the account but not the server
# password (e2e's auth-wrong-server.scn): the client refuses it, executes
# nothing, and aborts when it insists; the test server's verdict checks
# that the client refused.
. "$SRC/tests/matrix/lib.sh"
mx_https || mx_outcome "no PKI"
start_server srv "$E2E_SCN/auth-wrong-server.scn" "${TLS[@]}" || mx_outcome "no test server"
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
mx_list test.server "${SRV_URL%%\?*}"
"$PDM" "${P[@]}" session --server test.server >"$T/srv.session" 2>&1
rc=$?
wait_server srv      # the scenario expects the refusal
expect_value ./Vendor/Color blue
[ $rc = 0 ] && mx_outcome allowed
mx_session_refusal test.server "$T/srv.session"
expect_in "$T/audit.txt" "server credentials are wrong" "the audit names the failed check"
mx_outcome "$MX_SAW"
