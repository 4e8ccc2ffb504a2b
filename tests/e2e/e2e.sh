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

# Policies fail closed through a real session (fixture fx-policy of
# tests/engine): a check() that returns 1 denies (425, nothing changes,
# audited with the reason); a check() that reads the tree is answered
# without recursion.  The values are read back with a profile without the
# policy (it would decide the local reads too).
policy() {
  start_server srv "$SCN/policy-rc.scn" || return
  make_profile "$T/dev" "$TREE" "[plugin fx-policy]" "option.mode = rc" \
    "option.rc = 1" "option.prefix = ./Vendor/Size"
  "$PDM" "${P[@]}" session --server hmac.server >"$T/dev/session.out" 2>&1 ||
    { fail "session with the rc policy"; show "$T/dev/session.out"; }
  wait_server srv
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "policy returned 1 instead of PDM_OK" "the denial is audited with its reason"
  make_profile "$T/dev" "$TREE"
  expect_value ./Vendor/Size 10
  # A new device: the account's address is the new server's.
  start_server srv "$SCN/policy-treeread.scn" || return
  make_profile "$T/dev2" "$TREE" "[plugin fx-policy]" "option.mode = treeread" \
    "option.prefix = ./Vendor" "option.read = ./Vendor/Color" "option.expect = blue"
  "$PDM" "${P[@]}" session --server hmac.server >"$T/dev2/session.out" 2>&1 ||
    { fail "session with the tree-reading policy"; show "$T/dev2/session.out"; }
  wait_server srv
  make_profile "$T/dev2" "$TREE"
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

# Credential downgrade (issue 9): a 401 naming syncml:auth-basic, first
# from a server that failed authentication (with a RespURI), then from an
# authenticated one.  Each time: only package 1 was sent, no Basic
# credential on the wire, the session fails, the refusal is audited.
auth_downgrade() {
  local scn what n
  for scn in auth-downgrade auth-downgrade-authed; do
    T0=$T; T=$T/$scn; mkdir -p "$T"
    start_server srv "$SCN/$scn.scn" || { T=$T0; return; }
    make_profile "$T/dev" "$TREE"
    "$PDM" "${P[@]}" session --server test.server --trace "$T/dev/trace" \
      >"$T/dev/session.out" 2>&1 && fail "$scn: the session succeeded" ||
      ok "$scn: the session failed"
    kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
    # Package 1, then the session abort (Alert 1223) that tells the
    # server the client gave up; nothing else.
    n=$(ls "$T/dev/trace" | grep -c client)
    [ "$n" = 2 ] && ok "$scn: package 1 and the abort were sent" || fail "$scn: $n client messages"
    expect_in "$(ls "$T/dev/trace"/*client* | tail -1)" "1223" "$scn: the last message is the abort"
    cat "$T/dev/trace"/*client* >"$T/client-bytes"
    expect_not_in "$T/client-bytes" "auth-basic" "$scn: no Basic credential sent"
    expect_not_in "$T/client-bytes" "ZGV2OmRldnB3" "$scn: no b64(dev:devpw) sent"
    "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
    if [ "$scn" = auth-downgrade ]; then
      what="a challenge to switch from syncml:auth-md5 to syncml:auth-basic in a message that failed server authentication refused"
    else
      what="credential downgrade from syncml:auth-md5 to syncml:auth-basic refused"
    fi
    expect_in "$T/dev/audit.txt" "$what" "$scn: the refusal is audited"
    expect_in "$T/dev/session.out" "$what" "$scn: the error says why"
    expect_not_in "$T/dev/audit.txt" "devpw" "$scn: no secret in the audit"
    expect_not_in "$T/dev/session.out" "devpw" "$scn: no secret in the log"
    T=$T0
  done
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

# HTTPS with a client certificate from a throwaway PKI.
https() {
  local pki=$T/pki
  make_pki "$pki" || return
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
  # The e2e-watch policy records what policies are told.
  make_profile "$T/dev" "$TREE" "ca_file = $pki/ca.pem" "client_cert = $pki/cli.pem" \
    "client_key = $pki/cli.key" "[plugin e2e-watch]" "option.log = $T/dev/policy.log"
  "$PDM" "${P[@]}" session --server test.server --trace "$T/dev/trace" \
    >"$T/dev/session.out" 2>&1 && ok "session over HTTPS with a client certificate" ||
    { fail "HTTPS session"; show "$T/dev/session.out"; }
  wait_server srv
  expect_value ./Vendor/Color tls-green
  expect_in "$T/srv.transcript" "https://" "the server ran HTTPS"
  # Policies see the verified transport: TLS and the server's key pin, in
  # the session request and in the command requests.
  local pin rc
  pin=$(certtool --pubkey-info --infile "$pki/srv.pem" 2>/dev/null |
    grep -o 'pin-sha256:[A-Za-z0-9+/=]*' | head -1 | sed 's#pin-sha256:#sha256//#')
  [ -n "$pin" ] || fail "certtool printed no pin"
  expect_in "$T/dev/policy.log" "flags=1 server=test.server pin=$pin" "session policy: TLS and the key pin"
  expect_in "$T/dev/policy.log" "flags=3 server=test.server pin=$pin" "command policy: TLS, authenticated, key pin"
  expect_not_in "$T/dev/policy.log" "server=test.server pin=-" "no request of the server without the pin"
  # A session policy that wants another server key refuses the session
  # when the TLS handshake is done, before package 1 (DevInfo,
  # credentials) is sent.
  start_server deny "$SCN/https.scn" "${tls[@]}" || return
  make_profile "$T/deny" "$TREE" "ca_file = $pki/ca.pem" "client_cert = $pki/cli.pem" \
    "client_key = $pki/cli.key" "[plugin e2e-watch]" "option.log = $T/deny/policy.log" \
    "option.require_pin = sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
  "$PDM" "${P[@]}" session --server test.server >"$T/deny/session.out" 2>&1
  rc=$?
  [ $rc = 1 ] && ok "policy refuses the peer: exit 1" || { fail "policy refusal: exit $rc"; show "$T/deny/session.out"; }
  kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
  expect_not_in "$T/deny.transcript" "C->S" "policy refuses the peer: nothing was sent"
  "$PDM" "${P[@]}" audit >"$T/deny/audit.txt" 2>&1
  expect_in "$T/deny/audit.txt" "the server's key is not the one required (pin $pin)" "policy refusal audited with the peer's pin"
  # A RespURI from https to plain http is refused (the profile allows
  # plain http for the account's own address, not as a downgrade).
  start_server down "$SCN/respuri-downgrade.scn" "${tls[@]}" || return
  make_profile "$T/down" "$TREE" "ca_file = $pki/ca.pem" "client_cert = $pki/cli.pem" \
    "client_key = $pki/cli.key"
  "$PDM" "${P[@]}" session --server test.server >"$T/down/session.out" 2>&1
  rc=$?
  [ $rc = 1 ] && ok "RespURI downgrade: exit 1" || { fail "RespURI downgrade: exit $rc"; show "$T/down/session.out"; }
  wait_server down
  expect_in "$T/down/session.out" "RespURI refused: it moves the session from https to plain http" "RespURI downgrade: the error says why"
  "$PDM" "${P[@]}" audit >"$T/down/audit.txt" 2>&1
  expect_in "$T/down/audit.txt" "RespURI refused: it moves the session from https to plain http" "RespURI downgrade: audited"
  expect_in "$T/down.transcript" "<Data>1223</Data>" "RespURI downgrade: the server was told (Alert 1223 over HTTPS)"
  [ "$("$PDM" "${P[@]}" tree get ./Vendor/Color 2>&1)" != downgraded ] && ok "RespURI downgrade: nothing executed" ||
    fail "the package of the refused RespURI was executed"
}

# refused_replay LABEL DIR TRACE: `polydm replay` of TRACE with the
# profile in DIR must refuse to send the Basic credential: exit 1, the
# error names Basic, no client message written.  (Uses the caller's wb.)
refused_replay() {
  local rc
  "$PDM" "${P[@]}" replay "${wb[@]}" --server funambol --out "$2/out" \
    $(ls "$3"/*-server.* | sort) >"$2/replay.out" 2>&1
  rc=$?
  [ $rc = 1 ] && ok "$1: refused (exit 1)" ||
    { fail "$1: exit $rc, expected 1"; show "$2/replay.out"; }
  expect_in "$2/replay.out" "Basic" "$1: the error names Basic"
  [ -z "$(ls "$2/out" 2>/dev/null)" ] && ok "$1: no message with the credential" ||
    fail "$1: a client message was written"
}

# The trace of an HTTPS session records the transport facts of each client
# message; `polydm replay` reports them again, so a Basic account (Basic
# is never sent without verified TLS) replays like the original.  Without
# the facts, or with facts that do not say verified TLS, the replay is a
# plain connection and Basic is refused (fail closed).
https_replay() {
  local enc=$1 wb=() dir=$SRC/tests/dmserver/scenarios pki=$T/pki tr f rc
  [ "$enc" = wbxml ] && wb=(--wbxml)
  make_pki "$pki" || return
  start_server srv "$dir/scts-05-replace.scn" --tls-cert "$pki/srv.pem" \
    --tls-key "$pki/srv.key" || return
  make_profile "$T/dev" "$dir/scts.tnds.xml" "ca_file = $pki/ca.pem"
  sed -i "s#http://127.0.0.1:18080/dm#$SRV_URL#" "$T/dev/tree.xml"
  "$PDM" "${P[@]}" session --server funambol "${wb[@]}" --trace "$T/dev/trace" \
    >"$T/dev/session.out" 2>&1 || { fail "HTTPS session"; show "$T/dev/session.out"; }
  wait_server srv
  tr=$T/dev/trace
  expect_in "$tr/01-transport" "verified=yes" "the trace records the verified TLS of message 1"
  grep -q '^tls_version=TLS1\.[23]$' "$tr/01-transport" && ok "the trace records the TLS version" ||
    { fail "no TLS version in the trace"; show "$tr/01-transport"; }
  grep -q '^key_pin=sha256//' "$tr/01-transport" && ok "the trace records the server's key pin" ||
    fail "no key pin in the trace"
  expect_not_in "$tr/01-transport" "$(printf 'funambol:' | base64)" "no credential in the facts"
  [ "$(ls "$tr"/*-transport | wc -l)" = "$(ls "$tr"/*-client.* | wc -l)" ] &&
    ok "facts for every client message" || fail "not every client message has its facts"
  # Replayed with the recorded facts: the same client messages.
  make_profile "$T/replay" "$dir/scts.tnds.xml" "ca_file = $pki/ca.pem"
  sed -i "s#http://127.0.0.1:18080/dm#$SRV_URL#" "$T/replay/tree.xml"
  "$PDM" transcript "$tr" >"$T/transcript.txt" 2>&1 || fail "transcript of the HTTPS trace"
  expect_in "$T/transcript.txt" "transport: TLS1." "the transcript shows the transport of each client message"
  "$PDM" "${P[@]}" replay "${wb[@]}" --server funambol --out "$T/replay/out" \
    $(ls "$tr"/*-server.* | sort) >"$T/replay/replay.out" 2>&1 ||
    { fail "replay of the HTTPS trace: exit $?"; show "$T/replay/replay.out"; }
  compare_replay "$tr" "$T/replay/out" "$enc" nonces
  # Without facts (and with facts that lost the verification): plain, so
  # the Basic credential is not sent and the replay is refused.
  for f in none unverified; do
    mkdir -p "$T/tr-$f"; cp "$tr"/*-server.* "$T/tr-$f/"
    [ $f = unverified ] && for x in "$tr"/*-transport; do
      sed 's/^verified=yes$/verified=no/' "$x" >"$T/tr-$f/${x##*/}"; done
    make_profile "$T/r-$f" "$dir/scts.tnds.xml" "ca_file = $pki/ca.pem"
    sed -i "s#http://127.0.0.1:18080/dm#$SRV_URL#" "$T/r-$f/tree.xml"
    refused_replay "replay with facts $f" "$T/r-$f" "$T/tr-$f"
  done
  # Recorded TLS facts do not cover an account address that is plain http.
  make_profile "$T/r-http" "$dir/scts.tnds.xml" "ca_file = $pki/ca.pem"
  sed -i "s#http://127.0.0.1:18080/dm#${SRV_URL/https:/http:}#" "$T/r-http/tree.xml"
  refused_replay "TLS facts for an http:// address" "$T/r-http" "$tr"
  # A facts file that is not valid is bad input, named with file:line.
  mkdir -p "$T/tr-bad"; cp "$tr"/*-server.* "$tr"/*-transport "$T/tr-bad/"
  printf 'tls_version=TLS1.3\nverified=maybe\n' >"$T/tr-bad/01-transport"
  make_profile "$T/r-bad" "$dir/scts.tnds.xml" "ca_file = $pki/ca.pem"
  "$PDM" "${P[@]}" replay "${wb[@]}" --server funambol --out "$T/r-bad/out" \
    $(ls "$T/tr-bad"/*-server.* | sort) >"$T/r-bad/replay.out" 2>&1
  rc=$?
  [ $rc = 3 ] && ok "malformed facts: exit 3" ||
    { fail "malformed facts: exit $rc"; show "$T/r-bad/replay.out"; }
  expect_in "$T/r-bad/replay.out" "01-transport:2:" "malformed facts: file:line"
}

# Enterprise whitelist (issue 12 item 7, seed S5): the listed server runs
# its session only over verified TLS with the pinned key; with another
# key, or when it is not on the list, the session policy refuses it once
# the TLS handshake is done, before package 1 (DevInfo, credentials) is
# sent, audited with the check that failed.
whitelist() {
  local pki=$T/pki pin rc d
  local other=sha256//ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=
  make_pki "$pki" || return
  local tls=(--tls-cert "$pki/srv.pem" --tls-key "$pki/srv.key" --tls-ca "$pki/ca.pem"
             --require-client-cert)
  local cert=("ca_file = $pki/ca.pem" "client_cert = $pki/cli.pem" "client_key = $pki/cli.key")
  pin=$(certtool --pubkey-info --infile "$pki/srv.pem" 2>/dev/null |
    grep -o 'pin-sha256:[A-Za-z0-9+/=]*' | head -1 | sed 's#pin-sha256:#sha256//#')
  [ -n "$pin" ] || { fail "certtool printed no pin"; return; }
  # Listed, at its address, with its key: the session runs.
  start_server srv "$SCN/https.scn" "${tls[@]}" || return
  make_profile "$T/dev" "$TREE" "${cert[@]}" "[plugin enterprise-whitelist]" \
    "option.entry.1 = test.server ${SRV_URL%%\?*} $pin owner"
  "$PDM" "${P[@]}" session --server test.server >"$T/dev/session.out" 2>&1 &&
    ok "whitelisted server with its pin: session ran" ||
    { fail "whitelisted session"; show "$T/dev/session.out"; }
  wait_server srv
  expect_value ./Vendor/Color tls-green
  "$PDM" "${P[@]}" tree get ./Vendor/polydm/Whitelist/List >"$T/dev/list.txt" 2>&1
  expect_in "$T/dev/list.txt" "test.server ${SRV_URL%%\?*} $pin owner" "the stored list is the MO's List"
  # The owner edits its list over DM (whitelist-mo.scn: Get, Replace, a
  # list without an owner refused, a Replace in a failed Atomic rolled
  # back with it); the list it left is the one in force.
  sed "s#@PIN@#$pin#g" "$SCN/whitelist-mo.scn" >"$T/whitelist-mo.scn"
  start_server mo "$T/whitelist-mo.scn" "${tls[@]}" || return
  make_profile "$T/mo" "$TREE" "${cert[@]}" "[plugin enterprise-whitelist]" \
    "option.entry.1 = test.server ${SRV_URL%%\?*} $pin owner"
  "$PDM" "${P[@]}" session --server test.server >"$T/mo/session.out" 2>&1 &&
    ok "the owner's session on its list ran" ||
    { fail "owner's MO session"; show "$T/mo/session.out"; }
  wait_server mo
  "$PDM" "${P[@]}" tree get ./Vendor/polydm/Whitelist/List >"$T/mo/list.txt" 2>&1
  expect_in "$T/mo/list.txt" "test.server https://127.0.0.1:*/dm $pin owner" "the owner's new list is stored"
  expect_in "$T/mo/list.txt" "lab.server https://lab.example/dm $pin" "the owner's new list is stored"
  "$PDM" "${P[@]}" audit >"$T/mo/audit.txt" 2>&1
  expect_in "$T/mo/audit.txt" "the MO handler refused the value for ./Vendor/polydm/Whitelist/List" "the refused list is audited"
  # Listed with another key, and not listed at all: refused, nothing sent.
  for d in wrongpin unlisted; do
    start_server "$d" "$SCN/https.scn" "${tls[@]}" || return
    if [ "$d" = wrongpin ]; then
      make_profile "$T/$d" "$TREE" "${cert[@]}" "[plugin enterprise-whitelist]" \
        "option.entry.1 = test.server ${SRV_URL%%\?*} $other owner"
    else
      make_profile "$T/$d" "$TREE" "${cert[@]}" "[plugin enterprise-whitelist]" \
        "option.entry.1 = corp.server https://dm.corp.example/dm $pin owner"
    fi
    "$PDM" "${P[@]}" session --server test.server >"$T/$d/session.out" 2>&1
    rc=$?
    [ $rc = 1 ] && ok "$d: refused (exit 1)" || { fail "$d: exit $rc"; show "$T/$d/session.out"; }
    kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
    expect_not_in "$T/$d.transcript" "C->S" "$d: nothing was sent"
    "$PDM" "${P[@]}" audit >"$T/$d/audit.txt" 2>&1
  done
  expect_in "$T/wrongpin/audit.txt" "key pin does not match the whitelist entry of test.server" "wrong pin: audited with the check"
  expect_in "$T/unlisted/audit.txt" "ServerID 'test.server' is not on the whitelist" "not listed: audited with the check"
  # Its package 0 pushed to the agent: the digest verifies, then the
  # whitelist refuses it (PDM_REQ_NOTIFICATION) before anything is
  # queued; audited as the server's, with the deciding policy.
  start_agent "$T/unlisted" || return
  "$SRV" --notify --server-id test.server --password srvpw --nonce text:srvnonce \
    --session-id 0E0E --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/unlisted/agent.err" "package 0 from test.server refused"
  stop_agent
  expect_in "$T/unlisted/agent.err" "package 0 from test.server refused by policy:enterprise-whitelist/policy: ServerID 'test.server' is not on the whitelist" "unlisted package 0: refused by the whitelist"
  expect_not_in "$T/unlisted/agent.err" "verified and queued" "unlisted package 0: nothing queued"
  expect_not_in "$T/unlisted/agent.err" "session 0E0E started" "unlisted package 0: no session"
  "$PDM" "${P[@]}" audit >"$T/unlisted/audit2.txt" 2>&1
  expect_in "$T/unlisted/audit2.txt" "package 0 refused: ServerID 'test.server' is not on the whitelist" "unlisted package 0: audited"
  expect_in "$T/unlisted/audit2.txt" "policy:enterprise-whitelist/policy" "unlisted package 0: audited with the policy"
  # The list in the store wins over a changed profile (only the owner
  # server or a factory reset changes it): the unlisted device's profile
  # now lists test.server, its store still does not.
  start_server again "$SCN/https.scn" "${tls[@]}" || return
  sed -i "s#^option.entry.1 = corp.server.*#option.entry.1 = test.server ${SRV_URL%%\?*} $pin owner#" \
    "$T/unlisted/device.profile"
  "$PDM" "${P[@]}" session --server test.server >"$T/unlisted/session2.out" 2>&1
  rc=$?
  [ $rc = 1 ] && ok "profile edit: still refused (exit 1)" || { fail "profile edit: exit $rc"; show "$T/unlisted/session2.out"; }
  kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
  expect_not_in "$T/again.transcript" "C->S" "profile edit: nothing was sent"
}

# Enterprise whitelist and bootstraps (seed S5): a document installing a
# server that is not on the list, or the listed ServerID at another
# address, is refused whole (nothing created, audited with the check);
# the listed owner's document is applied and its server owns root.
whitelist_bootstrap() {
  local pin=sha256//ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs= d rc
  SRV_URL=http://127.0.0.1:9/dm
  make_profile "$T/dev" "$TREE" "[plugin enterprise-whitelist]" \
    "option.entry.1 = corp.example https://dm.corp.example/dm $pin owner"
  # the profile has a [bootstrap] section: a second one is an error
  profile_set "$T/dev" bootstrap unsigned_origins factory,file
  sed -i 's#^authority = .*#authority = enterprise-whitelist/authority#' "$T/dev/device.profile"
  wl_cp_doc "$T/rogue.xml" rogue.example https://rogue.example/dm
  wl_cp_doc "$T/spoof.xml" corp.example https://dm.corp.example.rogue.example/dm
  wl_cp_doc "$T/corp.xml" corp.example https://dm.corp.example/dm
  for d in rogue spoof; do
    "$PDM" "${P[@]}" bootstrap "$T/$d.xml" >"$T/$d.out" 2>&1
    rc=$?
    [ $rc = 1 ] && ok "$d: refused (exit 1)" || { fail "$d: exit $rc"; show "$T/$d.out"; }
  done
  if account_of rogue.example || account_of corp.example; then
    fail "a refused document created an account"; else ok "no account from the refused documents"; fi
  "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
  expect_in "$T/audit.txt" "ServerID 'rogue.example' is not on the whitelist" "unlisted server: audited"
  expect_in "$T/audit.txt" "address 'https://dm.corp.example.rogue.example/dm' does not match 'https://dm.corp.example/dm'" "listed ServerID at another address: audited"
  "$PDM" "${P[@]}" bootstrap "$T/corp.xml" >"$T/corp.out" 2>&1 &&
    ok "the owner's document is applied" || { fail "owner bootstrap"; show "$T/corp.out"; }
  account_of corp.example && ok "account $ACC for corp.example" || fail "no account for corp.example"
  "$PDM" "${P[@]}" tree get '.?prop=ACL' >"$T/root-acl.txt" 2>&1
  expect_in "$T/root-acl.txt" "Replace=corp.example" "the owner has Replace on root"
  expect_in "$T/root-acl.txt" "Exec=corp.example" "the owner has Exec on root"
  expect_not_in "$T/corp.out" "srvpwd" "no secret in the output"
}

# The shipped enterprise profile (issue 12, S6): the whitelist's owner
# would get root, but its CP document is secured only with the user's PIN
# (USERPIN): terminal-policy's privileged_userpin refuses the root grant,
# so the whole document is refused, audited with the deciding policy, and
# nothing changes.  Unsigned from the factory the same account is applied
# and owns root.
enterprise_userpin() {
  local mac rc
  SRV_URL=http://127.0.0.1:9/dm
  BASE_PROFILE=enterprise make_profile "$T/dev" "$TREE"
  wl_cp_doc "$T/corp.xml" corp.example https://dm.corp.example/dm
  mac=$(python3 -c 'import hmac, hashlib, sys
print(hmac.new(b"2468", open(sys.argv[1], "rb").read(), hashlib.sha1).hexdigest().upper())' "$T/corp.xml")
  printf 'pin=2468\n' >"$T/pin.ui"
  "$PDM" "${P[@]}" tree export -o "$T/before.xml" >/dev/null 2>&1
  "$PDM" "${P[@]}" bootstrap "$T/corp.xml" --sec USERPIN --mac "$mac" \
    --ui-script "$T/pin.ui" >"$T/userpin.out" 2>&1
  rc=$?
  [ $rc = 1 ] && ok "USERPIN document for the owner: refused (exit 1)" ||
    { fail "USERPIN document: exit $rc"; show "$T/userpin.out"; }
  expect_in "$T/userpin.out" "policy:terminal-policy/terminal" "the refusal names terminal-policy"
  expect_in "$T/userpin.out" "privileged_userpin" "the refusal names the rule"
  "$PDM" "${P[@]}" tree export -o "$T/after.xml" >/dev/null 2>&1
  cmp -s "$T/before.xml" "$T/after.xml" && ok "tree unchanged" || fail "the refused document changed the tree"
  "$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
  expect_in "$T/owner.txt" "root owner: nobody" "nobody owns root"
  "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
  expect_in "$T/audit.txt" "privileged_userpin" "audited with the rule"
  expect_not_in "$T/audit.txt" "2468" "no PIN in the audit"
  expect_not_in "$T/userpin.out" "srvpwd" "no secret in the output"
  # The same account from the factory image: applied, the owner owns root.
  "$PDM" "${P[@]}" bootstrap "$T/corp.xml" --origin factory >"$T/factory.out" 2>&1 &&
    ok "the factory document is applied" || { fail "factory document"; show "$T/factory.out"; }
  "$PDM" "${P[@]}" owner >"$T/owner2.txt" 2>&1
  expect_in "$T/owner2.txt" "root owner: corp.example" "the enterprise owner owns root"
}

# wl_cp_doc FILE SERVERID ADDRESS: an unsigned OMA CP w7 document (XML).
wl_cp_doc() {
  printf '<?xml version="1.0"?>\n<wap-provisioningdoc version="1.0"><characteristic type="APPLICATION"><parm name="APPID" value="w7"/><parm name="PROVIDER-ID" value="%s"/><parm name="NAME" value="%s"/><characteristic type="APPADDR"><parm name="ADDR" value="%s"/></characteristic><characteristic type="APPAUTH"><parm name="AAUTHLEVEL" value="APPSRV"/><parm name="AAUTHNAME" value="%s"/><parm name="AAUTHSECRET" value="srvpwd"/></characteristic><characteristic type="APPAUTH"><parm name="AAUTHLEVEL" value="CLIENT"/><parm name="AAUTHNAME" value="dev"/><parm name="AAUTHSECRET" value="clipwd"/></characteristic></characteristic></wap-provisioningdoc>\n' \
    "$2" "$2" "$3" "$2" >"$1"
}

# A malformed key pin is a configuration error (exit 3) wherever it is
# written; it never lets a session run without a pin or end quietly.
pin_config() {
  local bad='sha256//tooShort' line
  SRV_URL=https://127.0.0.1:9/dm
  make_profile "$T/dev" "$TREE" "pin.test.server = $bad"
  "$PDM" "${P[@]}" session --server test.server >"$T/dev/session.out" 2>&1
  local rc=$?
  [ $rc = 3 ] && ok "profile pin: exit 3" || { fail "profile pin: exit $rc, expected 3"; show "$T/dev/session.out"; }
  line=$(grep -n '^pin.test.server' "$T/dev/device.profile" | cut -d: -f1)
  expect_in "$T/dev/session.out" "device.profile:$line: pin.test.server: a pin is" "profile pin: file:line named"
  "$PDM" "${P[@]}" agent --listen 127.0.0.1:0 >"$T/dev/agent.out" 2>&1
  rc=$?
  [ $rc = 3 ] && ok "profile pin: agent exit 3" || fail "profile pin: agent exit $rc, expected 3"
  # The same on the command line, with a profile that is fine.
  make_profile "$T/cli" "$TREE"
  "$PDM" "${P[@]}" session --server test.server --pin "$bad" >"$T/cli/session.out" 2>&1
  rc=$?
  [ $rc = 3 ] && ok "--pin: exit 3" || { fail "--pin: exit $rc, expected 3"; show "$T/cli/session.out"; }
  expect_in "$T/cli/session.out" "--pin: a pin is sha256//" "--pin: the error says what a pin is"
  "$PDM" "${P[@]}" agent --listen 127.0.0.1:0 --pin "$bad" >"$T/cli/agent.out" 2>&1
  rc=$?
  [ $rc = 3 ] && ok "--pin: agent exit 3" || fail "--pin: agent exit $rc, expected 3"
  "$PDM" "${P[@]}" audit >"$T/cli/audit.txt" 2>&1
  expect_not_in "$T/cli/audit.txt" "Session" "no session ran"
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
  # Unsigned junk bootstrap documents (CP, DM) go to the bootstrap
  # pipeline, which refuses them: a clear log line each, no session.
  printf '<wap-provisioningdoc/>' >"$T/cp.xml"
  "$SRV" --push-bootstrap "$T/cp.xml" --content-type 0x35 --push-to "$AGENT_UDP" >/dev/null 2>&1
  "$SRV" --push-bootstrap "$T/cp.xml" --content-type 0x42 --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/agent.err" "DM-profile bootstrap message"
  expect_in "$T/dev/agent.err" "OMA CP document" "CP bootstrap refused with a clear line"
  expect_in "$T/dev/agent.err" "DM-profile bootstrap message" "DM bootstrap refused with a clear line"
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
  expect_in "$T/status1.json" '"next_attempt":"20' "status shows when the retry is due"
  expect_in "$T/status1.json" "\"last_error\":\"transport: http://127.0.0.1:$port: connection refused (server unreachable)" \
    "status shows why the last attempt failed"
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

# Two captured package 0s signed with the resynchronisation nonce, pushed
# alternately: each is verified and acted on once (the replay window), the
# newer verified one replaces the older in the queue; once a session with
# the server ended normally, the resync nonce is refused.
agent_pkg0_replay() {
  free_port "$SCN/pkg0-resync.scn" || return
  local port=$FREE_PORT i n
  SRV_URL=http://127.0.0.1:$port/dm
  make_profile "$T/dev" "$TREE"
  start_agent "$T/dev" || return
  for i in A01 A02 A01 A02 A01 A02; do
    "$SRV" --notify --server-id test.server --password srvpw --nonce b64:AAAAAA== \
      --session-id $i --push-to "$AGENT_UDP" >/dev/null 2>&1
    sleep 0.2
  done
  wait_for "$T/dev/agent.err" "already handled"
  "$PDM" "${P[@]}" audit >"$T/dev/audit1.txt" 2>&1
  n=$(grep -c "package 0 verified" "$T/dev/audit1.txt")
  [ "$n" = 2 ] && ok "two notifications verified, their replays refused" ||
    { fail "$n package 0s verified, expected 2"; show "$T/dev/audit1.txt"; }
  expect_in "$T/dev/agent.err" "session id A01 was already handled" "the replay is refused by name"
  SRV_FIXED_PORT=$port start_server srv "$SCN/pkg0-resync.scn" || return
  wait_server srv
  wait_sessions 1
  expect_in "$T/dev/device.jsonl" "ended normally" "the newest verified notification ran"
  # After that session the fixed resync nonce is worthless to a replayer.
  "$SRV" --notify --server-id test.server --password srvpw --nonce b64:AAAAAA== \
    --session-id 0A03 --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/agent.err" "resynchronisation is off"
  expect_in "$T/dev/agent.err" "resynchronisation is off after the first session" \
    "the resync nonce is refused after the first session"
  stop_agent
  expect_not_in "$T/dev/agent.err" "session A03 started" "no session for it"
  expect_value ./Vendor/Color resynced
}

# A forged package 0 naming a server whose verified session waits for a
# retry: refused at the intake, the verified session still runs.
agent_pkg0_forged_waiting() {
  free_port "$SCN/pkg0.scn" || return
  local port=$FREE_PORT
  SRV_URL=http://127.0.0.1:$port/dm
  make_profile "$T/dev" "$TREE"
  start_agent "$T/dev" --exit-after 1 || return
  "$SRV" --notify --server-id test.server --password srvpw --nonce text:srvnonce \
    --session-id 1A2B --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/agent.err" "retrying"
  "$SRV" --notify --server-id test.server --password forged --nonce text:srvnonce \
    --session-id 0BAD --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/agent.err" "bad digest"
  expect_in "$T/dev/agent.err" "package 0 naming test.server refused: bad digest" \
    "the forged package 0 is refused at the intake"
  "$PDM" "${P[@]}" --json status >"$T/status.json" 2>&1
  expect_in "$T/status.json" '"server":"test.server","initiated":"server","attempts":1' \
    "the verified job still waits"
  SRV_FIXED_PORT=$port start_server srv "$SCN/pkg0.scn" || return
  wait_server srv
  wait "$AGENT_PID"
  expect_value ./Vendor/Color red
  expect_in "$T/dev/device.jsonl" "ended normally" "the verified session ran"
}

# A flood of unauthenticated pushes (2,000 forged package 0s and 500 junk
# datagrams from 127.0.0.1): a bounded number of audit rows and log lines,
# one summary row per kind, and the agent still takes a verified push.
agent_push_flood() {
  SRV_URL=http://127.0.0.1:9/dm
  make_profile "$T/dev" "$TREE"
  local before after n port
  # the store with its factory rows (reads such as audit create none)
  "$PDM" "${P[@]}" bootstrap --scan >/dev/null 2>&1
  "$PDM" "${P[@]}" --json audit >"$T/audit0.json" 2>&1
  before=$(grep -o '"seq"' "$T/audit0.json" | wc -l)
  start_agent "$T/dev" || return
  port=${AGENT_UDP##*:}
  "$SRV" --notify --server-id test.server --password forged --nonce text:srvnonce \
    --session-id 0BAD --no-send --pkg0-out "$T/forged.pkg0" >/dev/null 2>&1
  "$SRV" --push-bootstrap "$T/forged.pkg0" --content-type 0x44 --app-id 7 \
    --no-send --pdu-out "$T/forged.pdu" >/dev/null 2>&1 || { fail "building the push"; return; }
  printf 'junk' >"$T/junk.pdu"
  # one sender process (perl-base is part of every Debian system)
  perl -MSocket -e '
    my ($port, @spec) = @ARGV;
    socket(my $s, PF_INET, SOCK_DGRAM, 0) or die;
    my $to = sockaddr_in($port, inet_aton("127.0.0.1"));
    while (my ($file, $n) = splice(@spec, 0, 2)) {
      open(my $f, "<:raw", $file) or die; local $/; my $d = <$f>;
      for (1 .. $n) { send($s, $d, 0, $to); select(undef, undef, undef, 0.0002) }
    }' "$port" "$T/forged.pdu" 2000 "$T/junk.pdu" 500 || { fail "sending the flood"; return; }
  "$SRV" --notify --server-id test.server --password srvpw --nonce text:srvnonce \
    --session-id 0F0F --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/agent.err" "verified and queued"
  expect_in "$T/dev/agent.err" "package 0 from test.server (session F0F) verified and queued" \
    "a verified push is still taken after the flood"
  stop_agent
  "$PDM" "${P[@]}" --json audit >"$T/audit1.json" 2>&1
  after=$(grep -o '"seq"' "$T/audit1.json" | wc -l)
  [ $((after - before)) -le 12 ] && ok "2,500 refused datagrams added $((after - before)) audit rows" ||
    fail "2,500 refused datagrams added $((after - before)) audit rows"
  expect_in "$T/audit1.json" "more pushes refused from 127.0.0.1 in the last" "one summary row per kind"
  n=$(grep -c "refused" "$T/dev/agent.err")
  [ "$n" -le 12 ] && ok "$n log lines about refusals" || fail "$n log lines about refusals"
}

# Audit retention: the log rotates into hash-chained segments, keeps the
# newest, `polydm audit --verify` checks the chain and names a changed file.
audit_retention() {
  SRV_URL=http://127.0.0.1:9/dm
  make_profile "$T/dev" "$TREE" "retries = 0" "[audit]" "segment_rows = 10" \
    "segments_kept = 2"
  local i f
  for i in $(seq 1 20); do
    "$PDM" "${P[@]}" session --server test.server >/dev/null 2>&1
  done
  f=$(ls "$T/dev/state/audit" | wc -l)
  [ "$f" = 2 ] && ok "two archived segments kept" || { fail "$f segment files kept"; ls "$T/dev/state/audit"; }
  "$PDM" "${P[@]}" audit --verify >"$T/verify.out" 2>&1 && ok "audit --verify: intact" ||
    { fail "audit --verify on an intact log"; show "$T/verify.out"; }
  expect_in "$T/verify.out" "older segment(s) removed by retention" "the verdict counts what retention removed"
  f=$(ls "$T/dev/state/audit"/*.log | head -1)
  sed -i '3s/Session/Sessiom/' "$f"
  "$PDM" "${P[@]}" audit --verify >"$T/verify2.out" 2>&1
  [ $? = 4 ] && ok "a changed segment fails the check (exit 4)" || fail "changed segment not detected"
  expect_in "$T/verify2.out" "$(basename "$f"): changed after it was archived" "the changed segment is named"
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

# two_servers A.scn B.scn: test.server on its own test server (A) and
# hmac.server on another (B); sets PIDB and PORTA and writes
# $T/tree-ab.xml, the factory tree with hmac.server at B's address.
two_servers() {
  start_server srvb "$SCN/$2" || return 1
  PIDB=$SRV_PID
  local urlb=$SRV_URL
  start_server srva "$SCN/$1" || return 1
  PORTA=$SRV_PORT
  awk -v b="$urlb" '/<NodeName>hmac<\/NodeName>/ { h = 1 }
    h && /@URL@/ { sub("@URL@", b); h = 0 } { print }' \
    "$TREE" >"$T/tree-ab.xml"
}

# again_with_nonce A2.scn: test.server's next session, on a new test server
# at test.server's port that authenticates with the server nonce the client
# issued (and stored) in its traced first session.
again_with_nonce() {
  local nonce
  nonce=$(cat "$T/dev/trace"/*-client.* | grep -o '<NextNonce[^>]*>[^<]*' | tail -1 | sed 's/.*>//')
  sed "s#@NONCE@#$nonce#" "$SCN/$1" >"$T/a2.scn"
  SRV_FIXED_PORT=$PORTA start_server srva2 "$T/a2.scn" || return 1
  "$PDM" "${P[@]}" session --server test.server >"$T/dev/a2.out" 2>&1 &&
    ok "test.server's next session" || { fail "test.server's next session"; show "$T/dev/a2.out"; }
  wait_server srva2
}

# A plugin's asynchronous Exec result (a Generic Alert queued without a
# server id) belongs to the server that sent the Exec: test.server's
# session fails after the Exec (an HTTP timeout), a session with
# hmac.server (its own test server) must not carry the alert, and
# test.server's next session does.
alert_owner() {
  two_servers alert-owner-a.scn alert-owner-b.scn || return
  make_profile "$T/dev" "$T/tree-ab.xml" "timeout_ms = 4000" "retries = 0"
  "$PDM" "${P[@]}" -v session --server test.server --trace "$T/dev/trace" \
    >"$T/dev/a1.out" 2>&1 &&
    fail "test.server's first session succeeded" ||
    ok "test.server's first session failed after the Exec"
  expect_in "$T/dev/a1.out" "timed out" "it failed on the HTTP timeout"
  expect_in "$T/dev/a1.out" "Generic Alert urn:polydm:at:e2e:done queued for test.server" \
    "the plugin's alert is bound to the Exec's server"
  "$PDM" "${P[@]}" session --server hmac.server >"$T/dev/b.out" 2>&1 &&
    ok "hmac.server's session" || { fail "hmac.server's session"; show "$T/dev/b.out"; }
  SRV_PID=$PIDB wait_server srvb
  wait_server srva
  again_with_nonce alert-owner-a2.scn || return
  expect_not_in "$T/srvb.transcript" "urn:polydm:at:e2e:done" "hmac.server never saw the alert"
}

# Authority isolation (issue 12, S11): hmac.server cannot change or delete
# a node test.server created, though the inherited ACL allows it; it reads
# it, changes a factory node its ACL allows and its own node.  The audit
# names the rule and the deciding component.
isolation() {
  two_servers isolation-a.scn isolation-b.scn || return
  make_profile "$T/dev" "$T/tree-ab.xml"
  "$PDM" "${P[@]}" session --server test.server >"$T/dev/a.out" 2>&1 &&
    ok "test.server's session" || { fail "test.server's session"; show "$T/dev/a.out"; }
  wait_server srva
  "$PDM" "${P[@]}" session --server hmac.server >"$T/dev/b.out" 2>&1 &&
    ok "hmac.server's session" || { fail "hmac.server's session"; show "$T/dev/b.out"; }
  SRV_PID=$PIDB wait_server srvb
  expect_value ./Vendor/AOnly a-value
  expect_value ./Vendor/Color green
  expect_value ./Vendor/BOnly b-changed
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  local n
  n=$(grep -E "server:hmac.server +(Replace|Delete) +./Vendor/AOnly" "$T/dev/audit.txt" | grep -c "isolation")
  [ "$n" -ge 3 ] && ok "Replace, Delete and the ACL change refused by isolation ($n rows)" ||
    { fail "$n isolation rows for hmac.server on ./Vendor/AOnly, expected 3"; grep AOnly "$T/dev/audit.txt" >&2; }
  expect_in "$T/dev/audit.txt" "authority:spec-authority/spec" "the deciding component is the authority"
  "$PDM" "${P[@]}" tree explain --server hmac.server --op Replace ./Vendor/AOnly \
    >"$T/dev/explain.txt" 2>&1
  expect_in "$T/dev/explain.txt" "isolation" "tree explain names the isolation rule"
}

# gsm-operator (issue 12, S11 with operator-root): the operator's CP push
# (NETWPIN) makes it the root owner; its first session creates ./OpData
# with a wildcard ACL; another server (hmac.server, a factory account) can
# read it but not change or delete it (isolation, decided by operator-root),
# and still adds its own node under root.  The user cannot take root over.
# operator_pushed PROFILE B.scn: hmac.server (a factory account) on its own
# test server running B.scn (PIDB, PORTB), and op.server's NETWPIN CP push
# to the agent under PROFILE, whose first session creates ./OpData with a
# wildcard ACL (operator-root-op.scn).
operator_pushed() {
  local urlb
  start_server srvb "$SCN/$2" || return 1
  PIDB=$SRV_PID; urlb=$SRV_URL; PORTB=$SRV_PORT
  SRV_URL=http://127.0.0.1:9/dm
  awk -v b="$urlb" '/<NodeName>hmac<\/NodeName>/ { h = 1 }
    h && /@URL@/ { sub("@URL@", b); h = 0 } { print }' "$TREE" >"$T/tree-b.xml"
  BASE_PROFILE=$1 make_profile "$T/dev" "$T/tree-b.xml"
  device_line "$T/dev" "imsi = $BOOT_IMSI"
  # The test servers speak plain HTTP; the TLS rule has its own tests.
  profile_set "$T/dev" "plugin terminal-policy" option.secrets_tls_only false
  start_agent "$T/dev" --exit-after 1 || return 1
  start_server srva "$SCN/operator-root-op.scn" --push-to "$AGENT_UDP" || return 1
  wait_server srva
  wait "$AGENT_PID"
}

operator_root() {
  local n
  operator_pushed gsm-operator operator-root-b.scn || return 1
  "$PDM" "${P[@]}" owner >"$T/dev/owner.txt" 2>&1
  expect_in "$T/dev/owner.txt" "root owner: op.server" "the NETWPIN operator owns root (operator-root)"
  "$PDM" "${P[@]}" session --server hmac.server >"$T/dev/b.out" 2>&1 &&
    ok "hmac.server's session" || { fail "hmac.server's session"; show "$T/dev/b.out"; }
  SRV_PID=$PIDB wait_server srvb
  expect_value ./OpData operator-value
  expect_value ./BData b-value
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  n=$(grep -E "server:hmac.server +(Replace|Delete) +./OpData " "$T/dev/audit.txt" |
    grep -c "authority:operator-root/operator isolation:")
  [ "$n" = 2 ] && ok "Replace and Delete refused by operator-root's isolation" ||
    { fail "$n isolation rows by operator-root, expected 2"; grep OpData "$T/dev/audit.txt" >&2; }
  "$PDM" "${P[@]}" tree explain --server hmac.server --op Replace ./OpData \
    >"$T/dev/explain.txt" 2>&1
  expect_in "$T/dev/explain.txt" "authority:operator-root/operator" "tree explain names operator-root"
  printf 'confirm=yes\n' >"$T/yes.ui"
  "$PDM" "${P[@]}" takeover hmac.server --ui-script "$T/yes.ui" >"$T/dev/takeover.out" 2>&1 &&
    fail "the user took root over from the operator" ||
    expect_in "$T/dev/takeover.out" "refused by authority:operator-root/operator" "the user cannot move root"
}

# cdma-3gpp2 (issue 12, S3): the same operator push as operator_root makes
# op.server the root owner (3gpp2-takeover, root_on_netwpin) and its
# session creates ./OpData with a wildcard ACL; hmac.server is kept out of
# it and of the root ACL (cdma-takeover-b1.scn).  The user then moves root
# to hmac.server and confirms: in its next session hmac.server changes
# ./OpData and holds the root ACL (cdma-takeover-b2.scn); op.server's
# ServerID is gone from every ACL.  Refusals of the same request under
# gsm-operator, enterprise and open-market: operator_root and
# tests/cli/market_takeover_test.sh.
cdma_takeover() {
  local nonce
  operator_pushed cdma-3gpp2 cdma-takeover-b1.scn || return 1
  "$PDM" "${P[@]}" owner >"$T/dev/owner.txt" 2>&1
  expect_in "$T/dev/owner.txt" "root owner: op.server" "the NETWPIN operator owns root (3gpp2-takeover)"
  "$PDM" "${P[@]}" session --server hmac.server --trace "$T/dev/trace" >"$T/dev/b1.out" 2>&1 &&
    ok "hmac.server's session before the takeover" ||
    { fail "hmac.server's session before the takeover"; show "$T/dev/b1.out"; }
  SRV_PID=$PIDB wait_server srvb
  printf 'confirm=no\n' >"$T/no.ui"
  "$PDM" "${P[@]}" takeover hmac.server --ui-script "$T/no.ui" >"$T/dev/declined.out" 2>&1 &&
    fail "a takeover the user declined was done" ||
    expect_in "$T/dev/declined.out" "user" "the user's 'no' refuses the takeover"
  printf 'confirm=yes\n' >"$T/yes.ui"
  "$PDM" "${P[@]}" takeover hmac.server --ui-script "$T/yes.ui" >"$T/dev/takeover.out" 2>&1 &&
    ok "the user's confirmed takeover" || { fail "the user's confirmed takeover"; show "$T/dev/takeover.out"; }
  "$PDM" "${P[@]}" owner >"$T/dev/owner2.txt" 2>&1
  expect_in "$T/dev/owner2.txt" "root owner: hmac.server" "hmac.server owns root"
  "$PDM" "${P[@]}" tree export >"$T/dev/after.tnds" 2>&1
  # Only op.server's own account node still names it (the DMAcc rule).
  [ "$(grep -c '<ACL>.*=op.server' "$T/dev/after.tnds")" = 1 ] &&
    ok "op.server's ServerID is gone from every ACL but its account's" ||
    { fail "ACLs still naming op.server"; grep -n '<ACL>.*op.server' "$T/dev/after.tnds" >&2; }
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  grep -E "deny +local +Takeover" "$T/dev/audit.txt" | grep -q " user " &&
    ok "the declined request is audited as the user's refusal" ||
    { fail "no audit row for the declined takeover"; grep Takeover "$T/dev/audit.txt" >&2; }
  grep -E "allow +local +Takeover" "$T/dev/audit.txt" |
    grep -q "authority:3gpp2-takeover/takeover root owner op.server -> hmac.server" &&
    ok "the takeover is audited with its deciding component" ||
    { fail "no audit row for the takeover"; grep Takeover "$T/dev/audit.txt" >&2; }
  nonce=$(cat "$T/dev/trace"/*-client.* | grep -o '<NextNonce[^>]*>[^<]*' | tail -1 | sed 's/.*>//')
  sed "s#@NONCE@#$nonce#" "$SCN/cdma-takeover-b2.scn" >"$T/b2.scn"
  SRV_FIXED_PORT=$PORTB start_server srvb2 "$T/b2.scn" || return 1
  "$PDM" "${P[@]}" session --server hmac.server >"$T/dev/b2.out" 2>&1 &&
    ok "hmac.server's session as root owner" ||
    { fail "hmac.server's session as root owner"; show "$T/dev/b2.out"; }
  wait_server srvb2
  expect_value ./OpData taken
}

# An asynchronous Exec's result reported after its session, in another
# process and during another server's session, without a server id: it
# goes to the server whose Exec it reports, never to the server of the
# moment (alert-async-a.scn, alert-async-b.scn).
alert_async() {
  two_servers alert-async-a.scn alert-async-b.scn || return
  make_profile "$T/dev" "$T/tree-ab.xml"
  "$PDM" "${P[@]}" session --server test.server --trace "$T/dev/trace" \
    >"$T/dev/a1.out" 2>&1 &&
    ok "test.server's Exec session" || { fail "test.server's Exec session"; show "$T/dev/a1.out"; }
  "$PDM" "${P[@]}" -v session --server hmac.server >"$T/dev/b.out" 2>&1 &&
    ok "hmac.server's session" || { fail "hmac.server's session"; show "$T/dev/b.out"; }
  expect_in "$T/dev/b.out" "Generic Alert urn:polydm:at:e2e:later queued for test.server" \
    "the late result is bound to the Exec's server"
  SRV_PID=$PIDB wait_server srvb
  wait_server srva
  again_with_nonce alert-async-a2.scn || return
  expect_not_in "$T/srvb.transcript" "urn:polydm:at:e2e:later" "hmac.server never saw the result"
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
# Their accounts use Basic client credentials, which are never sent
# without TLS: the server runs HTTPS.
funambol() {
  local enc=$1 wb=() dir=$SRC/tests/dmserver/scenarios scn tree n=0 pki=$T/pki
  [ "$enc" = wbxml ] && wb=(--wbxml)
  make_pki "$pki" || return
  printf 'auto\n' >"$T/auto-ui.txt"
  while read -r scn tree; do
    case "$scn" in ''|'#'*) continue ;; esac
    n=$((n + 1))
    start_server "f$n" "$dir/$scn" --tls-cert "$pki/srv.pem" --tls-key "$pki/srv.key" ||
      continue
    make_profile "$T/f$n" "$dir/$tree" "ca_file = $pki/ca.pem"
    sed -i "s#http://127.0.0.1:18080/dm#$SRV_URL#" "$T/f$n/tree.xml"
    "$PDM" "${P[@]}" session --server funambol "${wb[@]}" --ui-script "$T/auto-ui.txt" \
      --trace "$T/f$n/trace" >"$T/f$n/session.out" 2>&1 ||
      { fail "$scn: polydm session failed"; show "$T/f$n/session.out"; }
    wait_server "f$n"
  done <"$dir/MANIFEST"
  [ "$n" -ge 10 ] && ok "$n Funambol scenarios" || fail "only $n scenarios"
  [ "$enc" = wbxml ] && oracle_check "$T"
}

# ---- bootstrap (issue 10) --------------------------------------------------

BOOT_IMSI=001010123456789
FUNAMBOL_CP=$SRC/tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml
FUNAMBOL_MAC=AD7163230A2A4AE07605ECC3E4916ABA104B7211

# boot_device DIR: a device without the boot.server account, with an IMSI
# for NETWPIN (the factory accounts point nowhere).
boot_device() {
  SRV_URL=http://127.0.0.1:9/dm
  make_profile "$1" "$TREE"
  device_line "$1" "imsi = $BOOT_IMSI"
}

# bootstrap_push SCENARIO SEC [agent options]: the test server pushes its
# own account (SCENARIO's bootstrap line) to the running agent; the agent
# applies it and runs the new account's first session (Alert 1201), which
# the test server judges (its client-auth and server-auth are the pushed
# credentials).  Leaves the device in $T/dev and ACC set.
bootstrap_push() {
  local scn=$1 sec=$2 f; shift 2
  boot_device "$T/dev"
  start_agent "$T/dev" --exit-after 1 "$@" || return 1
  start_server srv "$SCN/$scn" --push-to "$AGENT_UDP" || return 1
  wait_server srv
  wait "$AGENT_PID"
  # What the test server saw (its verdict checks them too): Alert 1201,
  # and its 212 for the client's credentials.
  expect_in "$T/srv.transcript" "<Data>1201</Data>" "the server saw Alert 1201"
  expect_in "$T/srv.transcript" "<Data>212</Data>" "the server authenticated the client (212)"
  # The pushed nonces were stored as sent: no challenge was needed.
  expect_not_in "$T/srv.transcript" "<Data>401</Data>" "the first credentials were right (no 401)"
  expect_in "$T/dev/device.jsonl" '"action":"bootstrap"' "the device records the bootstrap"
  expect_in "$T/dev/device.jsonl" "applied" "the bootstrap was applied"
  expect_in "$T/dev/agent.err" "bootstrapped server boot.server: starting its first session" \
    "the agent starts the new server's first session"
  expect_in "$T/dev/device.jsonl" "boot.server: ended normally" "that session ended normally"
  if account_of boot.server; then ok "account $ACC for boot.server"; else
    fail "no ./DMAcc account for boot.server"; "$PDM" "${P[@]}" tree show ./DMAcc; return 1
  fi
  expect_value "$ACC/AppAddr/1/Addr" "$SRV_URL"
  "$PDM" "${P[@]}" tree show "$ACC" >"$T/dev/account.txt" 2>&1
  expect_in "$T/dev/account.txt" "bootdev" "the client credentials' name is stored"
  expect_in "$T/dev/account.txt" "CLCRED" "client credentials (APPSRV) are CLCRED"
  expect_in "$T/dev/account.txt" "SRVCRED" "server credentials (CLIENT) are SRVCRED"
  "$PDM" "${P[@]}" tree export "$ACC" -o "$T/dev/account.xml" >/dev/null 2>&1
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "boot.server" "the audit names the bootstrapped server"
  expect_in "$T/dev/audit.txt" "$sec" "the audit names the SEC method"
  for f in audit.txt account.txt account.xml agent.err device.jsonl; do
    expect_not_in "$T/dev/$f" "bootpw" "no client secret in $f"
    expect_not_in "$T/dev/$f" "bootsrvpw" "no server secret in $f"
  done
  expect_not_in "$T/dev/agent.err" "$BOOT_IMSI" "no IMSI in the agent log"
  expect_not_in "$T/dev/audit.txt" "$BOOT_IMSI" "no IMSI in the audit"
  # The pending list is empty now: a restarted agent starts no session.
  start_agent "$T/dev" || return 1
  sleep 0.5
  stop_agent
  [ "$(grep -c "starting its first session" "$T/dev/agent.err")" = 1 ] &&
    ok "no second first session after a restart" ||
    fail "the restarted agent contacted boot.server again"
}

bootstrap_cp() {
  bootstrap_push bootstrap-cp.scn NETWPIN
}

# DM profile: the ConnMO leaves the Inbox, and the account's PrefConRef
# follows it.
bootstrap_dm() {
  bootstrap_push bootstrap-dm.scn NETWPIN || return
  local ref
  ref=$("$PDM" "${P[@]}" tree get "$ACC/PrefConRef" 2>&1)
  case $ref in
  ./Inbox/*|"") fail "PrefConRef is '$ref', not the ConnMO's final place" ;;
  *) ok "PrefConRef rewritten to $ref" ;;
  esac
  expect_value "$ref/Addr" internet.example
  if "$PDM" "${P[@]}" tree get ./Inbox >"$T/dev/inbox.txt" 2>&1; then
    fail "Get ./Inbox succeeded"
  else
    ok "Get ./Inbox is refused"
  fi
}

# USERPIN: the PIN comes from the agent's UI script; a wrong one refuses
# the document (on a fresh device).
bootstrap_userpin() {
  printf 'pin=2468\n' >"$T/ui-pin.txt"
  bootstrap_push bootstrap-userpin.scn USERPIN --ui-script "$T/ui-pin.txt" || return
  T0=$T; T=$T/wrong; mkdir -p "$T"
  boot_device "$T/dev"
  "$PDM" "${P[@]}" tree export -o "$T/before.xml" >/dev/null 2>&1
  printf 'pin=1357\n' >"$T/ui-wrong.txt"
  start_agent "$T/dev" --ui-script "$T/ui-wrong.txt" || { T=$T0; return; }
  "$SRV" --scenario "$SCN/bootstrap-userpin.scn" --push-bootstrap generate:cp \
    --url http://127.0.0.1:9/dm --account boot --sec USERPIN --pin 2468 \
    --push-to "$AGENT_UDP" >"$T/push.out" 2>&1 || fail "push with USERPIN"
  wait_for "$T/dev/device.jsonl" "refused" || fail "no refusal recorded"
  expect_in "$T/dev/device.jsonl" "refused" "a wrong PIN refuses the document"
  stop_agent
  "$PDM" "${P[@]}" tree export -o "$T/after.xml" >/dev/null 2>&1
  cmp -s "$T/before.xml" "$T/after.xml" && ok "wrong PIN: tree unchanged" ||
    fail "wrong PIN: the tree changed"
  expect_not_in "$T/dev/agent.err" "1357" "no PIN in the agent log"
  T=$T0
}

# rogue_push ARGS...: one bootstrap push of the boot.server account.
rogue_push() {
  "$SRV" --scenario "$SCN/bootstrap-cp.scn" --url http://127.0.0.1:9/dm \
    --account boot --push-to "$AGENT_UDP" "$@" >>"$T/push.out" 2>&1 ||
    fail "push $*"
}

# Rogue bootstraps: a tampered MAC, a body changed after MACing, the wrong
# IMSI, an unsigned (SEC NONE) push, a tampered DM-profile message.  Each
# is refused; the tree export is byte-identical; no session.  They are
# forgeries (refused before anything authenticated them), so the agent
# audits them rate-limited like any unauthenticated push: the first of a
# verdict and document type from a source, then one count row; a flood of
# 40 more adds no row until the count.
bootstrap_rogue() {
  local n i
  boot_device "$T/dev"
  "$PDM" "${P[@]}" tree export -o "$T/before.xml" >/dev/null 2>&1 ||
    fail "tree export before"
  start_agent "$T/dev" || return
  rogue_push --push-bootstrap generate:cp --sec NETWPIN --imsi $BOOT_IMSI --tamper mac
  rogue_push --push-bootstrap generate:cp --sec NETWPIN --imsi $BOOT_IMSI --tamper body
  rogue_push --push-bootstrap generate:cp --sec NETWPIN --imsi 001010123456780
  rogue_push --push-bootstrap generate:cp
  rogue_push --push-bootstrap generate:dm --sec NETWPIN --imsi $BOOT_IMSI --tamper mac
  for i in $(seq 1 100); do
    n=$(grep -c '"action":"bootstrap"' "$T/dev/device.jsonl" 2>/dev/null)
    [ "${n:-0}" -ge 5 ] && break
    sleep 0.1
  done
  n=$(grep '"action":"bootstrap"' "$T/dev/device.jsonl" 2>/dev/null | grep -c refused)
  [ "$n" = 5 ] && ok "all 5 rogue bootstraps refused" ||
    { fail "$n of 5 rogue bootstraps refused"; show "$T/dev/device.jsonl"; }
  n=$(grep -c "refused by core: the NETWPIN MAC does not match" "$T/dev/device.jsonl")
  [ "$n" = 4 ] && ok "4 refused for their MAC" || fail "$n refused for their MAC, expected 4"
  expect_in "$T/dev/device.jsonl" "refused by core: unsigned document (no SEC/MAC) from origin push" \
    "the unsigned push is refused as unsigned"
  "$PDM" "${P[@]}" --json status >"$T/status.json" 2>&1
  expect_in "$T/status.json" '"sessions_ended":0' "no session ran"
  expect_in "$T/status.json" '"queued":[]' "no session is queued"
  "$PDM" "${P[@]}" audit >"$T/dev/audit1.txt" 2>&1
  n=$(grep -c "Push .*refused: .*refused by core" "$T/dev/audit1.txt")
  [ "$n" = 3 ] &&
    ok "rows for the first bad CP MAC, the unsigned CP push and the bad DM MAC" ||
    { fail "$n forgery rows, expected 3"; show "$T/dev/audit1.txt"; }
  expect_not_in "$T/dev/audit1.txt" "Bootstrap" "the pipeline wrote no row of its own"
  for i in $(seq 1 40); do
    rogue_push --push-bootstrap generate:cp
  done
  for i in $(seq 1 100); do
    n=$(grep -c '"action":"bootstrap"' "$T/dev/device.jsonl" 2>/dev/null)
    [ "${n:-0}" -ge 45 ] && break
    sleep 0.1
  done
  "$PDM" "${P[@]}" audit >"$T/dev/audit2.txt" 2>&1
  [ "$(wc -l <"$T/dev/audit2.txt")" = "$(wc -l <"$T/dev/audit1.txt")" ] &&
    ok "a flood of 40 unsigned pushes adds no audit row within the window" ||
    { fail "the flood added audit rows"; diff "$T/dev/audit1.txt" "$T/dev/audit2.txt" | head; }
  stop_agent
  "$PDM" "${P[@]}" tree export -o "$T/after.xml" >/dev/null 2>&1
  cmp -s "$T/before.xml" "$T/after.xml" && ok "tree export byte-identical" ||
    { fail "the tree changed"; diff "$T/before.xml" "$T/after.xml" | head -20; }
  if account_of boot.server; then fail "an account for boot.server exists"; else
    ok "no account for boot.server"; fi
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "more pushes refused from 127.0.0.1" \
    "the later forgeries are counted in one row at the end of the window"
  expect_not_in "$T/dev/agent.err" "starting its first session" "no session started"
  expect_in "$T/dev/agent.err" "OMA CP document" "the agent logs the CP refusal"
  expect_in "$T/dev/agent.err" "DM-profile bootstrap message" "the agent logs the DM refusal"
  expect_in "$T/dev/agent.err" "more pushes refused from 127.0.0.1" \
    "the agent logs the count of the later ones"
  expect_not_in "$T/dev/agent.err" "bootpw" "no secret in the agent log"
}

# polydm bootstrap on Funambol's CP document (NETWPIN, its own MAC): a
# wrong MAC changes nothing (exit 1, audited); the right one, in lower
# case, creates the account (exit 0).
bootstrap_cli() {
  local rc
  boot_device "$T/dev"
  "$PDM" "${P[@]}" tree export -o "$T/before.xml" >/dev/null 2>&1
  "$PDM" "${P[@]}" bootstrap "$FUNAMBOL_CP" --sec NETWPIN \
    --mac AD7163230A2A4AE07605ECC3E4916ABA104B7210 >"$T/wrong.out" 2>&1
  rc=$?
  [ $rc = 1 ] && ok "wrong MAC: exit 1" || { fail "wrong MAC: exit $rc"; show "$T/wrong.out"; }
  "$PDM" "${P[@]}" tree export -o "$T/after.xml" >/dev/null 2>&1
  cmp -s "$T/before.xml" "$T/after.xml" && ok "wrong MAC: tree export byte-identical" ||
    fail "wrong MAC: the tree changed"
  if account_of funambol; then fail "wrong MAC: an account exists"; else
    ok "wrong MAC: no account"; fi
  "$PDM" "${P[@]}" audit >"$T/audit1.txt" 2>&1
  expect_in "$T/audit1.txt" "NETWPIN" "the refusal is audited with its SEC method"
  "$PDM" "${P[@]}" bootstrap "$FUNAMBOL_CP" --sec NETWPIN \
    --mac "$(echo $FUNAMBOL_MAC | tr A-F a-f)" >"$T/right.out" 2>&1
  rc=$?
  [ $rc = 0 ] && ok "right MAC (lower case): exit 0" || { fail "right MAC: exit $rc"; show "$T/right.out"; }
  if account_of funambol; then
    ok "account $ACC for funambol"
    expect_value "$ACC/AppAddr/1/Addr" http://127.0.0.1:18081/funambol/dm
    expect_value "$ACC/Name" TestAcc
  else
    fail "no account for funambol"
  fi
  expect_not_in "$T/right.out" "srvpwd" "no secret in the output"
}

# The agent's start-up scan: cp-bootstrap's option.file (Funambol's CP
# document with its NETWPIN MAC) is applied, the new server's first session
# is queued (its address is unreachable: retried); after a restart the
# same file is not applied again (its SHA-256 is in the plugin's store).
bootstrap_scan() {
  boot_device "$T/dev"
  sed -i "/^\[plugin cp-bootstrap\]/a option.file = $FUNAMBOL_CP\noption.sec = NETWPIN\noption.mac = $FUNAMBOL_MAC" \
    "$T/dev/device.profile"
  "$PDM" "${P[@]}" profile check "$T/dev/device.profile" >"$T/check.out" 2>&1 ||
    { fail "profile check"; show "$T/check.out"; }
  start_agent "$T/dev" || return
  wait_for "$T/dev/agent.err" "retrying" ||
    { fail "no session attempt for funambol"; show "$T/dev/agent.err"; }
  stop_agent
  expect_in "$T/dev/agent.err" "bootstrap scan (start-up): 1 applied, 0 refused" "the scan applied the file"
  expect_in "$T/dev/agent.err" "bootstrapped server funambol: starting its first session" \
    "the new server's first session is queued"
  if account_of funambol; then ok "account $ACC for funambol"; else fail "no account for funambol"; fi
  start_agent "$T/dev" || return
  "$PDM" "${P[@]}" --json status >"$T/status.json" 2>&1
  stop_agent
  [ "$(grep -c "bootstrap scan (start-up): 1 applied" "$T/dev/agent.err")" = 1 ] &&
    ok "the applied file is not applied again after a restart" ||
    fail "the file was applied again"
  expect_in "$T/status.json" '"server":"funambol"' \
    "the new server's first session is still queued after the restart"
  grep -qF '"server":"funambol"' "$T/status.json" || show "$T/dev/agent.err"
}

# The other SEC methods through the agent, each for its own server:
# USERPINMAC (the user types K and the check digits the server printed)
# on a CP document, USERNETWPIN on a DM-profile message in the DM Security
# key order (PIN ":" IMSI), USERNETWPIN on a CP document (IMSI || PIN).
bootstrap_sec_methods() {
  local pinmac n i
  boot_device "$T/dev"
  gen_push() {
    "$SRV" --scenario "$SCN/bootstrap-cp.scn" --url http://127.0.0.1:9/dm \
      --account boot "$@"
  }
  pinmac=$(gen_push --server-id pinmac.server --push-bootstrap generate:cp \
    --sec USERPINMAC --pin 24681357 --no-send | sed -n 's/^user PIN: //p')
  [ ${#pinmac} = 16 ] && ok "USERPINMAC: the server gives a 16-digit PIN" ||
    fail "USERPINMAC PIN '$pinmac'"
  printf 'pin=%s\npin=2468\npin=1357\n' "$pinmac" >"$T/ui.txt"
  start_agent "$T/dev" --ui-script "$T/ui.txt" || return
  gen_push --server-id pinmac.server --push-bootstrap generate:cp \
    --sec USERPINMAC --pin 24681357 --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/device.jsonl" "pinmac.server" || fail "USERPINMAC: no outcome"
  gen_push --server-id dmnet.server --push-bootstrap generate:dm \
    --sec USERNETWPIN --imsi $BOOT_IMSI --pin 2468 --key-order pin:imsi \
    --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/device.jsonl" "dmnet.server" || fail "USERNETWPIN DM: no outcome"
  gen_push --server-id cpnet.server --push-bootstrap generate:cp \
    --sec USERNETWPIN --imsi $BOOT_IMSI --pin 1357 \
    --push-to "$AGENT_UDP" >/dev/null 2>&1
  wait_for "$T/dev/device.jsonl" "cpnet.server" || fail "USERNETWPIN CP: no outcome"
  stop_agent
  for s in pinmac.server dmnet.server cpnet.server; do
    if account_of $s; then ok "account $ACC for $s"; else
      fail "no account for $s"; show "$T/dev/device.jsonl"; fi
  done
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "SEC USERPINMAC" "the USERPINMAC bootstrap is audited"
  expect_in "$T/dev/audit.txt" "SEC USERNETWPIN" "the USERNETWPIN bootstraps are audited"
  expect_not_in "$T/dev/agent.err" "$pinmac" "no PIN in the agent log"
  expect_not_in "$T/dev/audit.txt" "2468" "no PIN in the audit"
}

# ---- LAWMO (lost-device-lock, issue 13) ----------------------------------
# Every case loads the shipped open-market profile (lost-device-lock is in
# it) with test.server as the lock authority.

# lawmo_profile DIR [TREE] [extra profile lines...]: the e2e device with
# test.server as the only server allowed to lock.
lawmo_profile() {
  local dir=$1 tree=${2:-$TREE}
  shift 2 2>/dev/null || shift $#
  make_profile "$dir" "$tree" "$@"
  profile_set "$dir" "plugin lost-device-lock" option.lock_authority test.server
}

# lock_status LABEL STATE SERVER: `polydm lock status` shows STATE (e.g.
# "10 (fully locked)"), set by SERVER ("-" for none) and a time.
lock_status() {
  "$PDM" "${P[@]}" lock status >"$T/lock.txt" 2>&1 ||
    { fail "$1: polydm lock status failed"; show "$T/lock.txt"; return; }
  expect_in "$T/lock.txt" "state: $2" "$1: lock status says state $2"
  if [ "$3" = - ]; then
    expect_in "$T/lock.txt" "set by: server -, plugin -" "$1: lock status names nobody"
    expect_in "$T/lock.txt" "since: never" "$1: lock status: never locked"
  else
    expect_in "$T/lock.txt" "set by: server $3, plugin lost-device-lock" "$1: lock status names $3"
    grep -Eq '^ *since: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' "$T/lock.txt" &&
      ok "$1: lock status says since when" || { fail "$1: no time in lock status"; show "$T/lock.txt"; }
  fi
}

# FullyLock, PartiallyLock, Wipe (nothing selected: 1406; then two
# classes: 1201), a capability switched off, UnLock: each 202 and its
# OperationComplete alert in the same session (lawmo-lock.scn, three
# sessions); the device did each action (device-state), State and
# `polydm lock status` follow the stored lock, the audit has each change.
# lawmo_next NAME SCENARIO [server options...]: the lock authority's
# next session on a new test server (its port: LAWMO_PORT once set, else
# an ephemeral one, kept in LAWMO_PORT).  After a session traced in
# $T/dev/trace (by `session --trace` or the agent: one session), the
# scenario's server nonce (text:srvnonce) is the one the client issued
# there.
lawmo_next() {
  local name=$1 scn=$SCN/$2 nonce
  shift 2
  if [ -n "$(find "$T/dev/trace" -name '*-client.*' 2>/dev/null)" ]; then
    nonce=$(find "$T/dev/trace" -name '*-client.*' | sort | xargs cat |
      grep -o '<NextNonce[^>]*>[^<]*' | tail -1 | sed 's/.*>//')
    sed "/^server-auth md5/s#nonce=text:srvnonce#nonce=b64:$nonce#" "$scn" >"$T/$name.scn"
    scn=$T/$name.scn
    rm -rf "$T/dev/trace"
  fi
  SRV_FIXED_PORT=${LAWMO_PORT:-0} start_server "$name" "$scn" "$@" || return 1
  LAWMO_PORT=$SRV_PORT
}

lawmo_lock() {
  local s
  for s in lock partial wipe; do
    lawmo_next "$s" "lawmo-$s.scn" || return
    [ "$s" = lock ] && { lawmo_profile "$T/dev"; lock_status "before" "30 (unlocked)" -; }
    "$PDM" "${P[@]}" session --server test.server --device-state "$T/dev/device.jsonl" \
      --trace "$T/dev/trace" >"$T/dev/$s.out" 2>&1 && ok "session $s" ||
      { fail "session $s"; show "$T/dev/$s.out"; }
    wait_server "$s"
    case $s in
    lock) lock_status "after FullyLock" "10 (fully locked)" test.server ;;
    partial) lock_status "after PartiallyLock" "20 (partially locked)" test.server ;;
    esac
  done
  # The last change (the unlock) and who made it.
  lock_status "after UnLock" "30 (unlocked)" test.server
  expect_in "$T/lock.txt" "pending execs: none" "no Exec result is owed any more"
  expect_in "$T/lock.txt" "queued alerts: 0" "every result was delivered"
  expect_value ./LAWMO/State 30
  expect_value ./LAWMO/AvailableWipeList/1/ToBeWiped true
  expect_value ./LAWMO/AvailableWipeList/2/ToBeWiped false
  expect_value ./LAWMO/Ext/Capabilities/Voice false
  expect_value ./LAWMO/Ext/Capabilities/SMS true
  expect_value ./LAWMO/LAWMOConfig/NotifyUser true
  # The reference device recorded each action (docs/cli.md).
  local d=$T/dev/device.jsonl
  expect_in "$d" '"action":"lock-full","detail":"server=test.server; answer=ok"' "device: fully locked"
  expect_in "$d" '"action":"lock-partial","detail":"server=test.server; answer=ok"' "device: partially locked"
  expect_in "$d" '"action":"wipe","detail":"contacts,media; server=test.server; notify; answer=ok"' \
    "device: contacts and media wiped, the user told"
  expect_in "$d" '"action":"capability","detail":"voice=off; server=test.server; notify; answer=ok"' \
    "device: voice calls switched off"
  expect_in "$d" '"action":"unlock","detail":"server=test.server; notify; answer=ok"' "device: unlocked"
  [ "$(grep -c '"action":"wipe"' "$d")" = 1 ] && ok "the empty Wipe did not reach the device" ||
    fail "the device was asked to wipe $(grep -c '"action":"wipe"' "$d") times"
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "DeviceLock" "the lock changes are audited"
  expect_in "$T/dev/audit.txt" "lock level full (was none), ordered by test.server" "the lock is audited"
  expect_in "$T/dev/audit.txt" "lock level none (was partial), ordered by test.server" "the unlock is audited"
  expect_in "$T/dev/audit.txt" "Exec of ./LAWMO/Operations/Wipe accepted; result follows later" "the Execs are audited"
}

# kill_agent_in_action N: waits until the device-state file has N
# actions answered `hang` (the agent is blocked inside one), then kills
# the agent with SIGKILL.
hangs() { cat "$T/dev/device.jsonl" 2>/dev/null | grep -c 'answer=hang'; }
kill_agent_in_action() {
  local i
  for i in $(seq 1 200); do
    [ "$(hangs)" -ge "$1" ] && break
    sleep 0.05
  done
  [ "$(hangs)" -ge "$1" ] ||
    { fail "$LABEL: the agent never reached hanging action $1"; show "$T/dev/agent.err"; }
  kill -KILL "$AGENT_PID" 2>/dev/null
  wait "$AGENT_PID" 2>/dev/null
}

# The lock survives kill -9 of the agent between the Exec and its result
# (issue 13), a bounded loop of deterministic kill points, each on a fresh
# device: inside the Exec (the device's lock action does not answer:
# `action=hang`), again and again inside the recovery the restarted agent
# runs when it opens (it redoes the unfinished lock: 0, 1, 2 and 4 more
# kills there), and after the lock's result was queued but before package
# 3 left (a capability Replace after the Exec hangs): 12 kills in all.
# Between kills a CLI command (`lock status`) opens the store: it has no
# device, so it must leave the unfinished lock to the agent (it once
# "failed" it and unlocked the device).  After every kill `polydm lock status` says fully
# locked; the last restart completes the operation, the queued session
# runs again and exactly one OperationComplete reaches the server.  (A
# kill after the message with the result left but before the session
# ended is not in the loop: delivery is at least once there, the server
# may see the result again with the same Correlator.)
lawmo_kill9() {
  local it point crashes k n T0=$T
  for it in lock:0 lock:1 lock:2 lock:4 queued:0; do
    point=${it%%:*}; crashes=${it##*:}
    LABEL="kill in $point, $crashes more in recovery"
    T=$T0/$point-$crashes; mkdir -p "$T"
    if [ "$point" = queued ]; then
      sed 's#@NEXT@#replace r1 ./LAWMO/Ext/Capabilities/SMS format=bool data=false#' \
        "$SCN/lawmo-kill.scn" >"$T/kill.scn"
      printf 'action=ok\naction=hang\n' >"$T/ui1.txt"
    else
      sed 's#@NEXT@##' "$SCN/lawmo-kill.scn" >"$T/kill.scn"
      printf 'action=hang\n' >"$T/ui1.txt"
    fi
    printf 'action=hang\n' >"$T/hang.txt"
    start_server srv "$T/kill.scn" || { T=$T0; return; }
    make_profile "$T/dev" "$TREE" "[session]" "server_auth = false"
    profile_set "$T/dev" "plugin lost-device-lock" option.lock_authority open.server
    start_agent "$T/dev" --ui-script "$T/ui1.txt" || { T=$T0; return; }
    "$PDM" "${P[@]}" trigger --server open.server >/dev/null 2>&1
    kill_agent_in_action 1
    lock_status "$LABEL: after the kill" "10 (fully locked)" open.server
    # The restarted agent redoes the lock when it opens: killed there.
    for k in $(seq 1 "$crashes"); do
      "$PDM" "${P[@]}" -v agent --listen 127.0.0.1:0 --device-state "$T/dev/device.jsonl" \
        --ui-script "$T/hang.txt" >>"$T/dev/agent.out" 2>>"$T/dev/agent.err" &
      AGENT_PID=$!; pids+=("$AGENT_PID")
      kill_agent_in_action $((k + 1))
      lock_status "$LABEL: after recovery kill $k" "10 (fully locked)" open.server
    done
    start_agent "$T/dev" --exit-after 1 || { T=$T0; return; }
    wait_server srv
    wait "$AGENT_PID"
    lock_status "$LABEL: after the last restart" "10 (fully locked)" open.server
    expect_in "$T/lock.txt" "pending execs: none" "$LABEL: no result owed"
    expect_in "$T/lock.txt" "queued alerts: 0" "$LABEL: the result was delivered"
    n=$(grep -o "urn:oma:at:lawmo:1.0:OperationComplete</Type>" "$T/srv.transcript" | wc -l)
    [ "$n" = 1 ] && ok "$LABEL: one OperationComplete reached the server" ||
      { fail "$LABEL: $n OperationComplete alerts reached the server"; show "$T/dev/agent.err"; }
    # The device was asked to lock once per run that got that far (each
    # restart redoes an unfinished lock), and never to unlock.
    if [ "$point" = lock ]; then k=$((crashes + 2)); else k=1; fi
    n=$(grep -c '"action":"lock-full"' "$T/dev/device.jsonl")
    [ "$n" = "$k" ] && ok "$LABEL: the device was asked to lock $n time(s)" ||
      fail "$LABEL: the device was asked to lock $n times, expected $k"
    expect_not_in "$T/dev/device.jsonl" '"action":"unlock"' "$LABEL: never unlocked"
    T=$T0
  done
}

# A server that is not the lock authority: 425 for each Exec and Replace
# in the LAWMO, audited with the lock policy and its reason; nothing
# locked, the device never asked, no alert (lawmo-nonowner.scn).
lawmo_nonowner() {
  start_server srv "$SCN/lawmo-nonowner.scn" || return
  lawmo_profile "$T/dev"
  "$PDM" "${P[@]}" session --server hmac.server --device-state "$T/dev/device.jsonl" \
    >"$T/dev/session.out" 2>&1 && ok "hmac.server's session" ||
    { fail "hmac.server's session"; show "$T/dev/session.out"; }
  wait_server srv
  lock_status "after the refused lock" "30 (unlocked)" -
  expect_value ./LAWMO/AvailableWipeList/1/ToBeWiped false
  expect_value ./LAWMO/Ext/Capabilities/Data true
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  local n
  n=$(grep "server:hmac.server" "$T/dev/audit.txt" | grep -c "policy:lost-device-lock/lock")
  [ "$n" = 4 ] && ok "the 2 Execs and 2 Replaces are audited with the lock policy" ||
    { fail "$n refusals audited with the lock policy, expected 4"; show "$T/dev/audit.txt"; }
  expect_in "$T/dev/audit.txt" "Exec of ./LAWMO/Operations/FullyLock is for the lock authority only (lock_authority = test.server, nobody owns root); hmac.server is not it" \
    "the audit has the policy's reason"
  expect_not_in "$T/dev/device.jsonl" '"action":"lock' "the device was never asked to lock"
}

# The user refuses the lock (scripted `action=cancel`): 1401, State back
# to unlocked (lawmo-cancel.scn).
lawmo_cancel() {
  start_server srv "$SCN/lawmo-cancel.scn" || return
  lawmo_profile "$T/dev"
  printf 'action=cancel\n' >"$T/cancel.ui"
  "$PDM" "${P[@]}" session --server test.server --ui-script "$T/cancel.ui" \
    --device-state "$T/dev/device.jsonl" >"$T/dev/session.out" 2>&1 &&
    ok "session" || { fail "session"; show "$T/dev/session.out"; }
  wait_server srv
  expect_in "$T/dev/device.jsonl" '"action":"lock-full","detail":"server=test.server; answer=cancel"' \
    "the device asked and the user refused"
  "$PDM" "${P[@]}" lock status >"$T/lock.txt" 2>&1
  expect_in "$T/lock.txt" "state: 30 (unlocked)" "not locked after the user refused"
  expect_in "$T/lock.txt" "pending execs: none" "no result owed"
}

# The lock's result goes to the server that sent the Exec and no other:
# test.server's session fails after the Exec, hmac.server's session (its
# own test server) runs while the result waits and does not carry it,
# test.server's next session does, once (lawmo-owner-*.scn).
lawmo_owner() {
  two_servers lawmo-owner-a.scn lawmo-owner-b.scn || return
  lawmo_profile "$T/dev" "$T/tree-ab.xml" "timeout_ms = 4000" "retries = 0"
  "$PDM" "${P[@]}" -v session --server test.server --trace "$T/dev/trace" \
    >"$T/dev/a1.out" 2>&1 &&
    fail "test.server's first session succeeded" ||
    ok "test.server's first session failed after the Exec"
  expect_in "$T/dev/a1.out" "Generic Alert urn:oma:at:lawmo:1.0:OperationComplete queued for test.server" \
    "the lock's result is bound to test.server"
  lock_status "while the result waits" "10 (fully locked)" test.server
  expect_in "$T/lock.txt" "queued alerts: 1" "the result waits"
  "$PDM" "${P[@]}" session --server hmac.server >"$T/dev/b.out" 2>&1 &&
    ok "hmac.server's session" || { fail "hmac.server's session"; show "$T/dev/b.out"; }
  SRV_PID=$PIDB wait_server srvb
  wait_server srva
  again_with_nonce lawmo-owner-a2.scn || return
  expect_not_in "$T/srvb.transcript" "urn:oma:at:lawmo:1.0:OperationComplete" \
    "hmac.server never saw test.server's result"
  # The failed session carried it too, but never ended: delivery is at
  # least once there (same Correlator), the next session carries it once.
  [ "$(grep -o 'OperationComplete</Type>' "$T/srva2.transcript" | wc -l)" = 1 ] &&
    ok "test.server's next session carried its result once" ||
    fail "test.server's next session did not carry its result exactly once"
  lock_status "after the result went" "10 (fully locked)" test.server
  expect_in "$T/lock.txt" "queued alerts: 0" "nothing waits any more"
}

# While locked, every local change is refused by the lock policy, audited
# with it, and the tree stays byte-identical: takeover, transfer, ACL
# edit, account delete, a local tree import, and a thief's USERPIN CP push
# to the agent.  There is no unlock command.
lawmo_locked_local() {
  start_server srv "$SCN/lawmo-lock.scn" || return
  lawmo_profile "$T/dev"
  "$PDM" "${P[@]}" session --server test.server >"$T/dev/lock.out" 2>&1 ||
    { fail "the lock session"; show "$T/dev/lock.out"; }
  wait_server srv
  lock_status "locked" "10 (fully locked)" test.server
  "$PDM" "${P[@]}" tree export -o "$T/before.xml" >/dev/null 2>&1
  local what n
  # open-market's authority refuses any takeover before the policies
  # (the lock policy's own refusal: the profile matrix, S1).
  "$PDM" "${P[@]}" takeover hmac.server --yes >"$T/local.out" 2>&1 &&
    fail "locked: takeover succeeded" || ok "locked: takeover refused"
  for what in "transfer --from test.server --to hmac.server --yes" \
              "acl set ./Vendor Get=* --yes" \
              "account delete hmac.server --yes"; do
    # shellcheck disable=SC2086
    "$PDM" "${P[@]}" $what >"$T/local.out" 2>&1 &&
      fail "locked: '$what' succeeded" || ok "locked: '$what' refused"
    expect_in "$T/local.out" "policy:lost-device-lock/lock" "locked: '$what' names the lock policy"
    expect_in "$T/local.out" "device locked: " "locked: '$what' says the device is locked"
  done
  cat >"$T/thief.tnds.xml" <<'XML'
<MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD>
<Node><NodeName>Vendor</NodeName><Node><NodeName>Thief</NodeName>
<RTProperties><Format><chr/></Format></RTProperties><Value>x</Value></Node></Node>
</MgmtTree>
XML
  "$PDM" "${P[@]}" tree import "$T/thief.tnds.xml" >"$T/import.out" 2>&1 &&
    fail "locked: a local tree import succeeded" || ok "locked: local tree import refused"
  # A thief's USERPIN CP push (a new server) to the agent, the PIN typed.
  printf 'pin=1111\n' >"$T/pin.ui"
  start_agent "$T/dev" --ui-script "$T/pin.ui" || return
  "$SRV" --scenario "$SCN/bootstrap-cp.scn" --push-bootstrap generate:cp \
    --url http://127.0.0.1:9/dm --account boot --server-id thief.server --sec USERPIN --pin 1111 \
    --push-to "$AGENT_UDP" >"$T/push.out" 2>&1 || fail "the thief's push"
  wait_for "$T/dev/device.jsonl" '"action":"bootstrap"' || fail "no bootstrap outcome"
  stop_agent
  expect_in "$T/dev/device.jsonl" "refused by policy:lost-device-lock/lock: thief.server: device locked: a USERPIN bootstrap" \
    "the thief's USERPIN push is refused by the lock policy"
  if account_of thief.server; then fail "the thief's account exists"; else ok "no account for the thief"; fi
  "$PDM" "${P[@]}" tree export -o "$T/after.xml" >/dev/null 2>&1
  cmp -s "$T/before.xml" "$T/after.xml" && ok "tree export byte-identical" ||
    { fail "a refused local change changed the tree"; diff "$T/before.xml" "$T/after.xml" | head; }
  "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
  n=$(grep -c "deny .*policy:lost-device-lock/lock .*device locked: " "$T/audit.txt")
  [ "$n" -ge 5 ] && ok "$n refusals audited with the lock policy" ||
    { fail "$n refusals audited with the lock policy, expected 5"; show "$T/audit.txt"; }
  # No unlock command: only the authority's UnLock or a factory reset.
  "$PDM" "${P[@]}" lock unlock >"$T/unlock.out" 2>&1
  [ $? = 2 ] && ok "there is no unlock command (usage error)" ||
    { fail "polydm lock unlock did not fail with a usage error"; show "$T/unlock.out"; }
  lock_status "still locked" "10 (fully locked)" test.server
}

# FactoryReset: the result alert still goes out in the session; the reset
# runs when it ends: a node and an account not from the factory are gone,
# the factory tree stays with its factory values, the lock is cleared,
# the device recorded the reset (lawmo-reset.scn).
lawmo_reset() {
  start_server srv "$SCN/lawmo-reset.scn" || return
  lawmo_profile "$T/dev" "$TREE"
  profile_set "$T/dev" bootstrap unsigned_origins factory,file
  wl_cp_doc "$T/extra.xml" extra.example https://dm.extra.example/dm
  "$PDM" "${P[@]}" bootstrap "$T/extra.xml" --origin file >"$T/extra.out" 2>&1 ||
    { fail "bootstrap of extra.example"; show "$T/extra.out"; }
  account_of extra.example && ok "an account not from the factory: $ACC" || fail "no account for extra.example"
  "$PDM" "${P[@]}" session --server test.server --device-state "$T/dev/device.jsonl" \
    >"$T/dev/session.out" 2>&1 && ok "FactoryReset session" ||
    { fail "FactoryReset session"; show "$T/dev/session.out"; }
  wait_server srv
  expect_absent ./Vendor/Added
  expect_value ./Vendor/Color blue
  expect_value ./DMAcc/test/ServerID test.server
  if account_of extra.example; then fail "extra.example's account survived the reset"; else
    ok "the account not from the factory is gone"; fi
  "$PDM" "${P[@]}" lock status >"$T/lock.txt" 2>&1
  expect_in "$T/lock.txt" "state: 30 (unlocked)" "after the reset: unlocked"
  expect_in "$T/lock.txt" "set by: server -, plugin core" "after the reset: cleared by the core's reset"
  expect_in "$T/lock.txt" "factory reset pending: no" "the reset ran"
  expect_in "$T/dev/device.jsonl" '"action":"factory-reset","detail":"server=test.server; answer=ok"' \
    "the device recorded the reset"
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "FactoryReset" "the reset is audited"
}

# Issue 13's "done when": a server locks, wipes and unlocks a device
# running the reference agent, end to end over HTTPS.  The shipped
# enterprise profile (terminal-policy's secrets_tls_only stays true): its
# whitelist's owner entry corp.example, with the test PKI's address and
# key pin, enrols the device by a USERNETWPIN CP push to the agent and so
# owns root, which makes it the lock authority (lock_authority =
# root-owner).  Its first session, over verified TLS with a client
# certificate (the test server requires one), locks the device
# (lawmo-https-lock.scn).  The agent is restarted; a package 0 from the
# test server starts session 2 (lawmo-https-wipe.scn): still locked, Wipe
# of two classes (1201), UnLock (1200).  Between and after: `polydm lock
# status`, the device's records, the root owner, the audit.
lawmo_https() {
  local pki=$T/pki pin
  make_pki "$pki" || return
  local tls=(--tls-cert "$pki/srv.pem" --tls-key "$pki/srv.key" --tls-ca "$pki/ca.pem"
             --require-client-cert)
  pin=$(certtool --pubkey-info --infile "$pki/srv.pem" 2>/dev/null |
    grep -o 'pin-sha256:[A-Za-z0-9+/=]*' | head -1 | sed 's#pin-sha256:#sha256//#')
  [ -n "$pin" ] || { fail "certtool printed no pin"; return; }
  lawmo_next lock lawmo-https-lock.scn "${tls[@]}" || return
  BASE_PROFILE=enterprise make_profile "$T/dev" "$TREE" "ca_file = $pki/ca.pem" \
    "client_cert = $pki/cli.pem" "client_key = $pki/cli.key"
  device_line "$T/dev" "imsi = $BOOT_IMSI"
  profile_set "$T/dev" "plugin enterprise-whitelist" option.entry.1 \
    "corp.example ${SRV_URL%%\?*} $pin owner"
  grep -q '^option.secrets_tls_only = true' "$T/dev/device.profile" &&
    ok "the profile keeps secrets_tls_only = true" || fail "secrets_tls_only is not true"
  lock_status "before" "30 (unlocked)" -
  # Enrolment: the owner's account by push, the PIN typed by the user.
  printf 'pin=2468\n' >"$T/pin.ui"
  start_agent "$T/dev" --exit-after 1 --ui-script "$T/pin.ui" || return
  "$SRV" --scenario "$SCN/lawmo-https-lock.scn" --push-bootstrap generate:cp \
    --url "$SRV_URL" --account corp --sec USERNETWPIN --imsi $BOOT_IMSI --pin 2468 \
    --push-to "$AGENT_UDP" >"$T/push.out" 2>&1 || { fail "the enrolment push"; show "$T/push.out"; }
  wait_server lock
  wait "$AGENT_PID"
  expect_in "$T/lock.transcript" "https://" "session 1 ran over HTTPS"
  expect_in "$T/dev/device.jsonl" "applied: ./DMAcc/corp.example for ServerID corp.example" "the enrolment was applied"
  "$PDM" "${P[@]}" owner >"$T/owner.txt" 2>&1
  expect_in "$T/owner.txt" "root owner: corp.example" "corp.example owns root"
  expect_in "$T/dev/device.jsonl" '"action":"lock-full","detail":"server=corp.example; answer=ok"' \
    "device: fully locked on corp.example's order"
  # The lock holds with no agent running, and across its restart.
  lock_status "locked, the agent stopped" "10 (fully locked)" corp.example
  expect_in "$T/lock.txt" "pending execs: none" "locked: no Exec result owed"
  expect_in "$T/lock.txt" "queued alerts: 0" "locked: the result was delivered"
  start_agent "$T/dev" --exit-after 1 || return
  lawmo_next wipe lawmo-https-wipe.scn "${tls[@]}" --push-to "$AGENT_UDP" || return
  wait_server wipe
  wait "$AGENT_PID"
  expect_in "$T/wipe.transcript" "https://" "session 2 ran over HTTPS"
  expect_in "$T/dev/agent.err" "session 5A1E started (server-initiated" "session 2 came from the package 0"
  lock_status "after UnLock" "30 (unlocked)" corp.example
  expect_in "$T/lock.txt" "pending execs: none" "unlocked: no Exec result owed"
  expect_in "$T/lock.txt" "queued alerts: 0" "unlocked: every result was delivered"
  expect_value ./LAWMO/State 30
  local d=$T/dev/device.jsonl n
  expect_in "$d" '"action":"wipe","detail":"contacts,media; server=corp.example; answer=ok"' \
    "device: contacts and media wiped"
  expect_in "$d" '"action":"unlock","detail":"server=corp.example; answer=ok"' "device: unlocked"
  n=$(grep -c '"action":"lock-full"' "$d")
  [ "$n" = 1 ] && ok "the device was asked to lock once (the restart redid nothing)" ||
    fail "the device was asked to lock $n times"
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "lock level full (was none), ordered by corp.example" "the lock is audited"
  expect_in "$T/dev/audit.txt" "lock level none (was full), ordered by corp.example" "the unlock is audited"
  for n in FullyLock Wipe UnLock; do
    expect_in "$T/dev/audit.txt" "Exec of ./LAWMO/Operations/$n accepted; result follows later" \
      "the $n Exec is audited"
  done
  expect_not_in "$T/dev/audit.txt" "corpsrvpw" "no server secret in the audit"
  expect_not_in "$T/dev/agent.err" "corpsrvpw" "no server secret in the agent log"
}

case_name=${1:-}
case "$case_name" in
  commands_xml) commands xml ;;
  commands_wbxml) commands wbxml ;;
  auth_hmac_xml) auth_hmac xml ;;
  auth_hmac_wbxml) auth_hmac wbxml ;;
  auth_wrong_client) auth_wrong_client xml ;;
  auth_wrong_server) auth_wrong_server wbxml ;;
  auth_downgrade) auth_downgrade ;;
  largeobj_xml) largeobj xml ;;
  largeobj_wbxml) largeobj wbxml ;;
  multimsg_xml) multimsg xml ;;
  multimsg_wbxml) multimsg wbxml ;;
  https) https ;;
  https_replay_xml) https_replay xml ;;
  https_replay_wbxml) https_replay wbxml ;;
  pin_config) pin_config ;;
  whitelist) whitelist ;;
  whitelist_bootstrap) whitelist_bootstrap ;;
  agent_pkg0_xml) agent_pkg0 xml ;;
  agent_pkg0_wbxml) agent_pkg0 wbxml ;;
  agent_trigger_replay_xml) agent_trigger_replay xml ;;
  agent_trigger_replay_wbxml) agent_trigger_replay wbxml ;;
  agent_pkg0_refused) agent_pkg0_refused ;;
  agent_restart) agent_restart ;;
  agent_sigterm) agent_stopped TERM ;;
  agent_sigkill) agent_stopped KILL ;;
  alerts) alerts ;;
  policy) policy ;;
  alert_owner) alert_owner ;;
  alert_async) alert_async ;;
  isolation) isolation ;;
  operator_root) operator_root ;;
  cdma_takeover) cdma_takeover ;;
  enterprise_userpin) enterprise_userpin ;;
  agent_pkg0_retry) agent_pkg0_retry ;;
  agent_pkg0_replay) agent_pkg0_replay ;;
  agent_pkg0_forged_waiting) agent_pkg0_forged_waiting ;;
  agent_push_flood) agent_push_flood ;;
  audit_retention) audit_retention ;;
  identity_xml) identity xml ;;
  identity_wbxml) identity wbxml ;;
  values) values ;;
  bootstrap_cp) bootstrap_cp ;;
  bootstrap_dm) bootstrap_dm ;;
  bootstrap_userpin) bootstrap_userpin ;;
  bootstrap_rogue) bootstrap_rogue ;;
  bootstrap_cli) bootstrap_cli ;;
  bootstrap_scan) bootstrap_scan ;;
  bootstrap_sec_methods) bootstrap_sec_methods ;;
  funambol_xml) funambol xml ;;
  lawmo_lock) lawmo_lock ;;
  lawmo_kill9) lawmo_kill9 ;;
  lawmo_nonowner) lawmo_nonowner ;;
  lawmo_cancel) lawmo_cancel ;;
  lawmo_owner) lawmo_owner ;;
  lawmo_locked_local) lawmo_locked_local ;;
  lawmo_reset) lawmo_reset ;;
  lawmo_https) lawmo_https ;;
  funambol_wbxml) funambol wbxml ;;
  *) echo "usage: e2e.sh CASE (see tests/e2e/README.md)"; exit 2 ;;
esac
finish
