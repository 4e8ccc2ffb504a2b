#!/usr/bin/env bash
# The server authenticates the device: a device that presents the wrong
# client secret (the server expects another one, e2e's
# auth-wrong-client.scn) is refused by the server; the client's secret
# appears in no log, audit or transcript.
. "$SRC/tests/matrix/lib.sh"
mx_https || mx_outcome "no PKI"
start_server srv "$E2E_SCN/auth-wrong-client.scn" "${TLS[@]}" || mx_outcome "no test server"
mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
mx_list test.server "${SRV_URL%%\?*}"
"$PDM" "${P[@]}" session --server test.server >"$T/srv.session" 2>&1
rc=$?
wait_server srv      # the scenario expects the client's credentials to fail
"$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
for f in srv.session audit.txt; do expect_not_in "$T/$f" "devpw" "no client secret in $f"; done
[ $rc = 1 ] && mx_outcome "refused by server"
mx_outcome "exit $rc"
