#!/usr/bin/env bash
# End-to-end tests: the real polydm client (CLI session or agent) against
# polydm-testserver on loopback.  Usage: e2e.sh CASE  (CTest runs each case
# as e2e_<case>; README.md lists them).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
SCN=$HERE/scenarios
TREE=$HERE/e2e.tnds.xml

# Every DM command, challenged MD5 both ways, UI alerts, Atomic rollback of
# the tree and of an MO handler, Sequence abort, Exec with a Generic Alert.
commands() {
  local enc=$1 wb=()
  [ "$enc" = wbxml ] && wb=(--wbxml)
  start_server srv "$SCN/commands.scn" || return
  make_profile "$T/dev" "$TREE"
  # A plugin MO's declared base ACL is applied (it was lost once).
  "$PDM" "${P[@]}" tree explain --server test.server --op Exec ./Ext/E2E/Run \
    >"$T/dev/explain.txt" 2>&1
  expect_in "$T/dev/explain.txt" "node:      ./Ext/E2E" "Exec allowed by the MO's declared ACL"
  "$PDM" "${P[@]}" session --server test.server "${wb[@]}" \
    --ui-script "$HERE/ui-commands.txt" --device-state "$T/dev/device.jsonl" \
    --trace "$T/dev/trace" >"$T/dev/session.out" 2>&1
  local rc=$?
  [ $rc = 0 ] && ok "session exit 0" || { fail "session exit $rc"; show "$T/dev/session.out"; }
  wait_server srv
  expect_value ./Vendor/Color blue
  expect_value ./Vendor/Size 20
  expect_value ./Vendor/New "new value"
  expect_value ./Vendor/Copy copied
  expect_absent ./Vendor/Old
  expect_value ./Ext/E2E/Counter 7
  # The next session's nonce from the 212 Chal was stored (AAuthData is a
  # secret: check through the audit-free store dump of the account).
  expect_in "$T/dev/device.jsonl" '"action":"ui"' "UI prompts recorded in the device state"
  expect_in "$T/dev/device.jsonl" 'Change the size?' "the confirmation was shown"
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "test.server" "audit names the server"
  expect_in "$T/dev/audit.txt" "Delete granted to test.server by Delete=test.server" "audit explains an allowed Delete"
  expect_in "$T/dev/audit.txt" "Exec granted to test.server by Exec=* of ./Ext/E2E" "audit explains an allowed Exec"
  expect_in "$T/dev/audit.txt" "Exec of ./Ext/E2E/Fail failed: ./Ext/E2E/Fail refuses to run" "audit has the plugin's own reason"
  expect_not_in "$T/dev/audit.txt" "devpw" "no client secret in the audit"
  expect_not_in "$T/dev/audit.txt" "srvpw" "no server secret in the audit"
  expect_not_in "$T/dev/session.out" "devpw" "no secret in the log"
  [ "$enc" = wbxml ] && oracle_check "$T/dev/trace"
  # The readable transcript of the trace names each answer's command.
  "$PDM" transcript "$T/dev/trace" >"$T/dev/transcript.txt" 2>&1 || fail "polydm transcript"
  expect_in "$T/dev/transcript.txt" "425 Permission denied <- Get ./Vendor/Private/Key" "transcript: refusal named"
  expect_in "$T/dev/transcript.txt" "216 Atomic roll back OK <- Replace ./Ext/E2E/Counter" "transcript: rollback named"
  expect_in "$T/dev/transcript.txt" 'answer "polydm user"' "transcript: UI answer"
  expect_in "$T/dev/transcript.txt" "device credentials" "transcript: credentials noted"
  expect_not_in "$T/dev/transcript.txt" "Cred" "transcript: no credential data"
  expect_in "$T/dev/transcript.txt" "Replace ./DMAcc/test/AppAuth/1/AAuthData = *****" "transcript: secret redacted"
  expect_not_in "$T/dev/transcript.txt" "VerySecretNonce42" "transcript: no secret value"
  local perms
  perms=$(stat -c %a "$T/dev/trace" "$T/dev/trace"/01-client.* | sort -u | tr '\n' ' ')
  [ "$perms" = "600 700 " ] && ok "trace readable by the owner only" ||
    fail "trace permissions are $perms"
}

# client_session SCENARIO SERVER ENC [expected client exit] [session args]
#   One client-initiated session with `polydm session` against SCENARIO;
#   the test server's verdict must be "passed".  Leaves the device in
#   $T/dev (profile P) and its log in $T/dev/session.out.
client_session() {
  local scn=$1 server=$2 enc=$3 want=${4:-0} wb=() rc
  shift 4 2>/dev/null || shift $#
  [ "$enc" = wbxml ] && wb=(--wbxml)
  start_server srv "$SCN/$scn" || return 1
  make_profile "$T/dev" "$TREE"
  "$PDM" "${P[@]}" session --server "$server" "${wb[@]}" \
    --device-state "$T/dev/device.jsonl" --trace "$T/dev/trace" "$@" \
    >"$T/dev/session.out" 2>&1
  rc=$?
  if [ "$rc" = "$want" ]; then ok "polydm session exit $rc"; else
    fail "polydm session exit $rc, expected $want"; show "$T/dev/session.out"; fi
  wait_server srv
  [ "$enc" = wbxml ] && oracle_check "$T/dev/trace"
  return 0
}

auth_hmac() {
  client_session auth-hmac.scn hmac.server "$1" 0
  expect_value ./Vendor/Size 42
}

# Wrong client secret: refused by the server, nothing changes.
auth_wrong_client() {
  client_session auth-wrong-client.scn test.server "$1" 1
  expect_in "$T/dev/session.out" "refused our credentials" "the client reports the refusal"
  expect_value ./Vendor/Color blue
}

# Rogue server (wrong server secret): refused, nothing executed, audited.
auth_wrong_server() {
  client_session auth-wrong-server.scn test.server "$1" 1
  expect_value ./Vendor/Color blue
  expect_value ./Vendor/Old "to be deleted"
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "server credentials are wrong" "the refusal is audited"
  expect_not_in "$T/dev/audit.txt" "rogue" "no secret in the audit"
  expect_not_in "$T/dev/session.out" "rogue" "no secret in the log"
}

largeobj() {
  client_session largeobj.scn test.server "$1" 0
  local v
  v=$("$PDM" "${P[@]}" tree get ./Vendor/Blob | wc -c)
  [ "$v" = 20001 ] && ok "20000-byte object stored" || fail "object is $v bytes"
  expect_absent ./Vendor/Bad
}

multimsg() {
  client_session multimsg.scn test.server "$1" 0
  local n
  n=$(ls "$T/dev/trace" | grep -c client)
  [ "$n" -ge 4 ] && ok "$n client messages" || fail "only $n client messages"
  expect_value ./Vendor/Size 11
}

# HTTPS with a client certificate from a throwaway PKI (certtool).
https() {
  local pki=$T/pki
  mkdir -p "$pki"
  printf 'cn = "e2e CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$pki/ca.tmpl"
  printf 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nexpiration_days = 2\n' >"$pki/srv.tmpl"
  printf 'cn = "IMEI:493005100592800"\ntls_www_client\nexpiration_days = 2\n' >"$pki/cli.tmpl"
  (cd "$pki" &&
    certtool --generate-privkey --key-type=ecdsa --outfile ca.key &&
    certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.pem &&
    certtool --generate-privkey --key-type=ecdsa --outfile srv.key &&
    certtool --generate-certificate --load-privkey srv.key --load-ca-certificate ca.pem \
      --load-ca-privkey ca.key --template srv.tmpl --outfile srv.pem &&
    certtool --generate-privkey --key-type=ecdsa --outfile cli.key &&
    certtool --generate-certificate --load-privkey cli.key --load-ca-certificate ca.pem \
      --load-ca-privkey ca.key --template cli.tmpl --outfile cli.pem) >"$pki/log" 2>&1 ||
    { fail "certtool"; show "$pki/log"; return; }
  local tls=(--tls-cert "$pki/srv.pem" --tls-key "$pki/srv.key" --tls-ca "$pki/ca.pem"
             --require-client-cert)
  # Without a client certificate: refused, with a clear error.
  start_server nocert "$SCN/https.scn" "${tls[@]}" || return
  make_profile "$T/dev0" "$TREE" "ca_file = $pki/ca.pem"
  "$PDM" "${P[@]}" session --server test.server >"$T/dev0/session.out" 2>&1 &&
    fail "session without a client certificate succeeded" || ok "no client certificate: refused"
  expect_in "$T/dev0/session.out" "transport" "the error names the transport"
  kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
  # With it: the scenario passes.
  start_server srv "$SCN/https.scn" "${tls[@]}" || return
  make_profile "$T/dev" "$TREE" "ca_file = $pki/ca.pem" "client_cert = $pki/cli.pem" \
    "client_key = $pki/cli.key"
  "$PDM" "${P[@]}" session --server test.server --trace "$T/dev/trace" \
    >"$T/dev/session.out" 2>&1 && ok "session over HTTPS with a client certificate" ||
    { fail "HTTPS session"; show "$T/dev/session.out"; }
  wait_server srv
  expect_value ./Vendor/Color tls-green
  expect_in "$T/srv.transcript" "https://" "the server ran HTTPS"
}

# Package 0 over UDP to the agent: verified, then a server-initiated
# session; the trace replays offline to the same client messages except the
# nonces the client draws for the server.
agent_pkg0() {
  local enc=$1 wb=()
  [ "$enc" = wbxml ] && wb=(--wbxml)
  start_server srv "$SCN/pkg0.scn" || return
  make_profile "$T/dev" "$TREE"
  start_agent "$T/dev" "${wb[@]}" --exit-after 1 || return
  "$SRV" --notify --server-id test.server --password srvpw --nonce text:srvnonce \
    --session-id 1A2B --push-to "$AGENT_UDP" >"$T/notify.out" 2>&1 ||
    { fail "pushing package 0"; show "$T/notify.out"; }
  wait_server srv
  wait "$AGENT_PID"
  expect_value ./Vendor/Color red
  expect_in "$T/dev/device.jsonl" "ended normally" "the device records the session"
  expect_in "$T/dev/agent.err" "session 1A2B started (server-initiated" "the agent logs the session"
  expect_not_in "$T/dev/agent.err" "srvpw" "no secret in the agent log"
  [ "$enc" = wbxml ] && oracle_check "$T/dev/trace"
  # Offline replay of the recorded server messages on a fresh device.
  local tr
  tr=$(ls -d "$T/dev/trace"/*/ | head -1)
  make_profile "$T/replay" "$TREE"
  "$PDM" "${P[@]}" replay "${wb[@]}" --pkg0 "$tr/00-pkg0.bin" --out "$T/replay/out" \
    $(ls "$tr"/*-server.* | sort) >"$T/replay/replay.out" 2>&1 ||
    { fail "replay exit $?"; show "$T/replay/replay.out"; }
  compare_replay "$tr" "$T/replay/out" "$enc" nonces
}

# compare_replay TRACE_DIR REPLAY_DIR ENC [nonces]: the replayed client
# messages equal the recorded ones (with "nonces": except NextNonce texts).
compare_replay() {
  local tr=$1 out=$2 enc=$3 mask=${4:-} i=0 f a b
  for f in $(ls "$tr"/*-client.* | sort); do
    i=$((i + 1))
    a=$f; b=$out/client-$i.$enc
    if [ ! -f "$b" ]; then fail "replay produced no client message $i"; return; fi
    if [ -n "$mask" ]; then
      if [ "$enc" = wbxml ]; then
        wbxml2xml -o "$T/a.xml" "$a" >/dev/null 2>&1; wbxml2xml -o "$T/b.xml" "$b" >/dev/null 2>&1
        a=$T/a.xml; b=$T/b.xml
      fi
      sed 's#<NextNonce[^>]*>[^<]*</NextNonce>#<NextNonce/>#g' "$a" >"$T/a.m"
      sed 's#<NextNonce[^>]*>[^<]*</NextNonce>#<NextNonce/>#g' "$b" >"$T/b.m"
      a=$T/a.m; b=$T/b.m
    fi
    if ! cmp -s "$a" "$b"; then fail "replayed client message $i differs"; diff "$a" "$b" | head -5; return; fi
  done
  [ "$(ls "$out" | wc -l)" = "$i" ] && ok "replay: $i client messages identical${mask:+ (nonces masked)}" ||
    fail "replay wrote $(ls "$out" | wc -l) messages, the session had $i"
}

# A client-initiated session from the agent (`polydm trigger`), replayed
# byte for byte (open.server has no server credentials: nothing random).
agent_trigger_replay() {
  local enc=$1 wb=()
  [ "$enc" = wbxml ] && wb=(--wbxml)
  start_server srv "$SCN/open.scn" || return
  make_profile "$T/dev" "$TREE" "[session]" "server_auth = false"
  start_agent "$T/dev" "${wb[@]}" --exit-after 1 || return
  "$PDM" "${P[@]}" trigger --server open.server >"$T/trigger.out" 2>&1 ||
    { fail "trigger"; show "$T/trigger.out"; }
  wait_server srv
  wait "$AGENT_PID"
  expect_value ./Vendor/Note "written by open.server"
  expect_value ./Vendor/Src copied
  local tr
  tr=$(ls -d "$T/dev/trace"/*/ | head -1)
  make_profile "$T/replay" "$TREE" "[session]" "server_auth = false"
  "$PDM" "${P[@]}" replay "${wb[@]}" --server open.server --out "$T/replay/out" \
    $(ls "$tr"/*-server.* | sort) >"$T/replay/replay.out" 2>&1 ||
    { fail "replay exit $?"; show "$T/replay/replay.out"; }
  compare_replay "$tr" "$T/replay/out" "$enc"
}

# A forged package 0 (wrong server password): refused and audited, no
# session; then a package 0 asking for consent the user declines.
agent_pkg0_refused() {
  SRV_URL=http://127.0.0.1:9/dm
  make_profile "$T/dev" "$TREE"
  printf 'no\n' >"$T/ui.txt"
  start_agent "$T/dev" --ui-script "$T/ui.txt" || return
  "$SRV" --notify --server-id test.server --password forged --nonce text:srvnonce \
    --session-id 0BAD --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/agent.err" "digest"
  expect_in "$T/dev/agent.err" "digest" "the agent logs the bad digest"
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "deny" "the refusal is audited"
  expect_not_in "$T/dev/agent.err" "started" "no session started"
  # Interactive mode: the user says no.
  "$SRV" --notify --server-id test.server --password srvpw --nonce text:srvnonce \
    --session-id 0C0C --ui interactive --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/device.jsonl" "declined"
  expect_in "$T/dev/device.jsonl" "declined" "the user declined the session"
  # Bootstrap documents (CP, DM) are refused until a bootstrap plugin
  # exists: a clear log line, nothing changes.
  printf '<wap-provisioningdoc/>' >"$T/cp.xml"
  "$SRV" --push-bootstrap "$T/cp.xml" --content-type 0x35 --push-to "$AGENT_UDP" >/dev/null 2>&1
  "$SRV" --push-bootstrap "$T/cp.xml" --content-type 0x42 --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/agent.err" "DM bootstrap"
  expect_in "$T/dev/agent.err" "refused an OMA CP bootstrap document" "CP bootstrap refused with a clear line"
  expect_in "$T/dev/agent.err" "refused a pushed DM bootstrap message" "DM bootstrap refused with a clear line"
  stop_agent
  expect_not_in "$T/dev/agent.err" "session 0C0C started" "no session after the refusal"
}

# The agent stops (SIGTERM) while a session waits for a retry; after the
# restart the queued session runs.
agent_restart() {
  free_port "$SCN/open.scn" || return
  local port=$FREE_PORT
  make_profile "$T/dev" "$TREE" "[session]" "server_auth = false"
  start_agent "$T/dev" || return
  "$PDM" "${P[@]}" trigger --server open.server >/dev/null 2>&1
  wait_for "$T/dev/agent.err" "retrying"
  expect_in "$T/dev/agent.err" "retrying" "the unreachable server is retried"
  "$PDM" "${P[@]}" --json status >"$T/status1.json" 2>&1
  expect_in "$T/status1.json" '"server":"open.server"' "the session is queued"
  "$PDM" "${P[@]}" audit >"$T/audit1.txt" 2>&1
  expect_in "$T/audit1.txt" "failed: transport: http://127.0.0.1:$port: connection refused" \
    "the failed attempt is audited with the transport's reason"
  stop_agent
  ok "agent stopped with a queued session"
  SRV_FIXED_PORT=$port start_server srv "$SCN/open.scn" || return
  start_agent "$T/dev" --exit-after 1 || return
  wait_server srv
  wait "$AGENT_PID"
  expect_value ./Vendor/Note "written by open.server"
  expect_in "$T/dev/device.jsonl" "ended normally" "the queued session ran after the restart"
}

# The agent is stopped in the middle of a session, while it waits for the
# server's package 4 (held back 6 s): the committed package 2 stays,
# package 4 is never executed, and after the restart the session runs
# again from the queue.  SIGTERM: the agent abandons the request at once
# and audits the interruption.  SIGKILL (a crash, a power cut): the store
# and the queue still hold what was committed, so the restart is the same.
agent_stopped() {
  local sig=$1 i t0 ms
  start_server srv "$SCN/sigterm.scn" || return
  make_profile "$T/dev" "$TREE" "[session]" "server_auth = false"
  start_agent "$T/dev" || return
  "$PDM" "${P[@]}" trigger --server open.server >/dev/null 2>&1
  # the third trace file is the client's package 3, posted to the server
  # that now holds package 4 back
  for i in $(seq 1 200); do
    ls "$T/dev/trace"/*/03-client.* >/dev/null 2>&1 && break
    sleep 0.05
  done
  sleep 0.3
  t0=$(date +%s%N)
  kill -"$sig" "$AGENT_PID"
  wait "$AGENT_PID" 2>/dev/null
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ "$sig" = TERM ]; then
    [ "$ms" -lt 4000 ] && ok "the agent stopped in $ms ms, not waiting for the slow server" ||
      fail "the agent took $ms ms to stop (it waited for the server)"
    expect_in "$T/dev/agent.err" "interrupted" "the agent says the session was interrupted"
  fi
  expect_value ./Vendor/Color committed
  expect_value ./Vendor/Size 10
  if [ "$sig" = TERM ]; then
    "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
    expect_in "$T/dev/audit.txt" "failed: the session was interrupted (shutdown)" \
      "the interrupted session is audited"
  fi
  start_agent "$T/dev" --exit-after 1 || return
  wait_server srv
  wait "$AGENT_PID"
  expect_in "$T/dev/agent.err" "resuming the queued session" "the restarted agent finds the session in its queue"
  expect_in "$T/dev/device.jsonl" "ended normally" "the interrupted session ran again after the restart"
  expect_value ./Vendor/Color committed
  "$PDM" "${P[@]}" audit >"$T/dev/audit2.txt" 2>&1
  expect_in "$T/dev/audit2.txt" "ended normally after package 3" "the resumed session is audited"
}

# A package 0 whose session cannot reach the server: retried without
# verifying the (now repeated) notification again, kept across an agent
# restart, and answered with Alert 1200 and the notification's session id
# once the server is up.
agent_pkg0_retry() {
  free_port "$SCN/pkg0.scn" || return
  local port=$FREE_PORT
  make_profile "$T/dev" "$TREE"
  start_agent "$T/dev" || return
  "$SRV" --notify --server-id test.server --password srvpw --nonce text:srvnonce \
    --session-id 1A2B --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/agent.err" "retrying"
  expect_in "$T/dev/agent.err" "retrying" "the unreachable server is retried"
  stop_agent
  SRV_FIXED_PORT=$port start_server srv "$SCN/pkg0.scn" || return
  start_agent "$T/dev" --exit-after 1 || return
  wait_server srv
  wait "$AGENT_PID"
  expect_value ./Vendor/Color red
  expect_not_in "$T/dev/agent.err" "already handled" "the retry is not refused as a repeat"
  expect_in "$T/dev/device.jsonl" "ended normally" "the session ran after the restart"
}

# Generic Alerts from the integrator: kept in the store across a failed
# session and an agent start, delivered by sessions the agent starts.
alerts() {
  free_port "$SCN/alerts.scn" || return
  local port=$FREE_PORT
  make_profile "$T/dev" "$TREE"
  "$PDM" "${P[@]}" alert --server test.server --type urn:polydm:e2e:battery \
    --format int --data 15 --correlator c-1 --source ./DevDetail/Ext/Battery \
    >"$T/alert1.out" 2>&1 || { fail "polydm alert"; show "$T/alert1.out"; }
  expect_in "$T/alert1.out" "queued for the next session" "alert stored without an agent"
  "$PDM" "${P[@]}" session --server test.server >"$T/dead.out" 2>&1 &&
    fail "session to a dead server succeeded" || ok "session to an unreachable server failed"
  SRV_FIXED_PORT=$port start_server srv "$SCN/alerts.scn" || return
  start_agent "$T/dev" --exit-after 2 || return
  wait_sessions 1
  "$PDM" "${P[@]}" --json status >"$T/status.json" 2>&1
  expect_in "$T/status.json" '"alerts_waiting":0' "the first alert was delivered"
  "$PDM" "${P[@]}" alert --type urn:polydm:e2e:event --format chr \
    --data "second one" --mark critical --server test.server >"$T/alert2.out" 2>&1
  expect_in "$T/alert2.out" "the agent delivers it" "alert handed to the agent"
  wait_server srv
  wait "$AGENT_PID"
  expect_in "$T/dev/agent.err" "starting a session" "the agent started sessions for the alerts"
}

# Issue 9 item 1: a server tries to take another's identity and account
# (identity.scn); nothing changes and the refusals are audited with their
# rule.
identity() {
  client_session identity.scn test.server "$1" 0
  expect_value ./DMAcc/test/ServerID test.server
  expect_value ./DMAcc/hmac/ServerID hmac.server
  expect_value ./DMAcc/hmac/AppAddr/1/Addr "$SRV_URL"
  expect_absent ./DMAcc/evil
  expect_absent ./DMAcc/evil2
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "server-id-immutable" "the ServerID change is audited with its rule"
  expect_in "$T/dev/audit.txt" "account-create" "the new account is audited with its rule"
  expect_in "$T/dev/audit.txt" "account-isolation" "the other account's refusal is audited with its rule"
}

# Issue 9 item 9: bad bytes through WBXML are refused; the next XML
# session and `polydm tree export` still work (values.scn).
values() {
  start_server srv "$SCN/values.scn" || return
  make_profile "$T/dev" "$TREE"
  "$PDM" "${P[@]}" session --server test.server --wbxml --trace "$T/dev/trace" \
    >"$T/dev/session1.out" 2>&1 || { fail "WBXML session"; show "$T/dev/session1.out"; }
  "$PDM" "${P[@]}" session --server test.server >"$T/dev/session2.out" 2>&1 ||
    { fail "XML session"; show "$T/dev/session2.out"; }
  wait_server srv
  expect_value ./Vendor/Color blue
  expect_absent ./Vendor/Nul
  "$PDM" "${P[@]}" tree export >"$T/dev/export.xml" 2>"$T/dev/export.err" &&
    ok "tree export" || { fail "tree export"; show "$T/dev/export.err"; }
  expect_in "$T/dev/export.xml" "<NodeName>Bin</NodeName>" "the bin value is exported"
  # (no oracle_check: the hostile server message is not UTF-8 on purpose)
}

# Every Funambol-derived scenario (tests/dmserver/scenarios/MANIFEST) with
# the real client, each on a fresh device with the scenario's factory tree.
funambol() {
  local enc=$1 wb=() dir=$SRC/tests/dmserver/scenarios scn tree n=0
  [ "$enc" = wbxml ] && wb=(--wbxml)
  printf 'auto\n' >"$T/auto-ui.txt"
  while read -r scn tree; do
    case "$scn" in ''|'#'*) continue ;; esac
    n=$((n + 1))
    start_server "f$n" "$dir/$scn" || continue
    make_profile "$T/f$n" "$dir/$tree"
    sed -i "s#http://127.0.0.1:18080/dm#$SRV_URL#" "$T/f$n/tree.xml"
    "$PDM" "${P[@]}" session --server funambol "${wb[@]}" --ui-script "$T/auto-ui.txt" \
      --trace "$T/f$n/trace" >"$T/f$n/session.out" 2>&1 ||
      { fail "$scn: polydm session failed"; show "$T/f$n/session.out"; }
    wait_server "f$n"
  done <"$dir/MANIFEST"
  [ "$n" -ge 10 ] && ok "$n Funambol scenarios" || fail "only $n scenarios"
  [ "$enc" = wbxml ] && oracle_check "$T"
}

case_name=${1:-}
case "$case_name" in
  commands_xml) commands xml ;;
  commands_wbxml) commands wbxml ;;
  auth_hmac_xml) auth_hmac xml ;;
  auth_hmac_wbxml) auth_hmac wbxml ;;
  auth_wrong_client) auth_wrong_client xml ;;
  auth_wrong_server) auth_wrong_server wbxml ;;
  largeobj_xml) largeobj xml ;;
  largeobj_wbxml) largeobj wbxml ;;
  multimsg_xml) multimsg xml ;;
  multimsg_wbxml) multimsg wbxml ;;
  https) https ;;
  agent_pkg0_xml) agent_pkg0 xml ;;
  agent_pkg0_wbxml) agent_pkg0 wbxml ;;
  agent_trigger_replay_xml) agent_trigger_replay xml ;;
  agent_trigger_replay_wbxml) agent_trigger_replay wbxml ;;
  agent_pkg0_refused) agent_pkg0_refused ;;
  agent_restart) agent_restart ;;
  agent_sigterm) agent_stopped TERM ;;
  agent_sigkill) agent_stopped KILL ;;
  alerts) alerts ;;
  agent_pkg0_retry) agent_pkg0_retry ;;
  identity_xml) identity xml ;;
  identity_wbxml) identity wbxml ;;
  values) values ;;
  funambol_xml) funambol xml ;;
  funambol_wbxml) funambol wbxml ;;
  *) echo "usage: e2e.sh CASE (see tests/e2e/README.md)"; exit 2 ;;
esac
finish
