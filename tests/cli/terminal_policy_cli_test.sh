#!/usr/bin/env bash
# terminal-policy loaded by the engine from a profile: its options decide
# real bootstraps and sessions (exit codes, messages, audit rows naming
# policy:terminal-policy/terminal, tree unchanged, nothing sent).
# Usage: terminal_policy_cli_test.sh POLYDM SOURCE_DIR PLUGIN_DIR
set -u
PDM=$1 SRC=$2 PLUG=$3
fails=0
tmp=$(mktemp -d); lpid=
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$tmp"' EXIT
W7=$SRC/tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml
W7_MAC=AD7163230A2A4AE07605ECC3E4916ABA104B7211 # NETWPIN, IMSI below
CT=application/vnd.wap.connectivity-wbxml
WHO=policy:terminal-policy/terminal

expect() {
  local want=$1 name=$2; shift 2
  out=$("$@" 2>&1); local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: exit $got, expected $want"; echo "$out" | sed 's/^/    /'
    fails=$((fails+1)); return 1
  fi
  echo "ok   $name"
}
contains() {
  if ! grep -qF -- "$2" <<<"$out"; then
    echo "FAIL $1: output lacks: $2"; echo "$out" | sed 's/^/    /'
    fails=$((fails+1))
  fi
}
lacks() {
  if grep -qF -- "$2" <<<"$out"; then
    echo "FAIL $1: output has: $2"; echo "$out" | sed 's/^/    /'
    fails=$((fails+1))
  fi
}

# profile NAME [lines of the terminal-policy section...]: a device with an
# IMSI (NETWPIN), cp-bootstrap and terminal-policy; sets P.
profile() {
  local name=$1; shift
  {
    printf '[profile]\nid = tp-%s\n[device]\nimsi = 001010123456789\n' "$name"
    printf '[plugin cp-bootstrap]\n[plugin terminal-policy]\n'
    for l in "$@"; do printf '%s\n' "$l"; done
  } > "$tmp/$name.profile"
  P=(--plugin-path "$PLUG" --profile "$tmp/$name.profile" --state "$tmp/st-$name")
}
push_netwpin() { "$PDM" "${P[@]}" bootstrap --sec NETWPIN --mac "$W7_MAC" \
  --origin "${1:-push}" --content-type "$CT" "$W7"; }

# ---- options are validated when the context starts --------------------
profile bad 'option.require_usernetwpin = maybe'
expect 3 "bad value refused" push_netwpin
contains "bad value names key and value" \
  "option.require_usernetwpin: 'maybe' is not false or true"
profile bad2 'option.push_secs = NETWPIN,SEC0'
expect 3 "bad SEC list refused" push_netwpin
contains "bad SEC list says" "option.push_secs: 'NETWPIN,SEC0' is not a comma-separated list"

# ---- defaults: a signed push bootstrap goes through --------------------
profile dflt
expect 0 "defaults: NETWPIN push applied" push_netwpin
contains "defaults applied" "applied: ./DMAcc/funambol for ServerID funambol"

# ---- require_usernetwpin = true: NETWPIN alone refused over the air ----
profile unp 'option.require_usernetwpin = true'
expect 1 "require_usernetwpin: NETWPIN push refused" push_netwpin
contains "refusal names the policy" "bootstrap refused by $WHO: funambol: terminal-policy: require_usernetwpin = true: NETWPIN alone is refused over the air"
expect 1 "require_usernetwpin: nothing applied" "$PDM" "${P[@]}" tree get ./DMAcc/funambol/ServerID
expect 0 "require_usernetwpin: audit" "$PDM" "${P[@]}" audit
contains "audit row" "$WHO refused (permission denied): funambol: terminal-policy: require_usernetwpin = true"
lacks "audit: no IMSI" "001010123456789"
# the rule is about the air: the same document from a file is applied
expect 0 "require_usernetwpin: NETWPIN file applied" push_netwpin file

# ---- file_secs: the accepted methods of an origin ----------------------
profile fsec 'option.file_secs = USERPIN, USERNETWPIN'
expect 1 "file_secs: NETWPIN file refused" push_netwpin file
contains "file_secs says" "bootstrap refused by $WHO: funambol: terminal-policy: file_secs: SEC NETWPIN is not accepted from origin file"
expect 0 "file_secs: push keeps its list" push_netwpin

# ---- secrets_tls_only: no session that would send credentials in clear -
# A listener records what reaches it; the account has a client secret.
cat > "$tmp/listen.py" <<'EOF'
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8); s.settimeout(60)
print(s.getsockname()[1], flush=True)
with open(sys.argv[1], "ab") as out:
    while True:
        c, _ = s.accept(); c.settimeout(2)
        try:
            out.write(c.recv(65536)); out.flush()
        except OSError:
            pass
        c.close()
EOF
python3 "$tmp/listen.py" "$tmp/got" > "$tmp/port" & lpid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$tmp/port")/dm"
acc() { # acc NAME SERVERID [client secret]
  printf '<Node><NodeName>%s</NodeName><RTProperties><Format><node/></Format></RTProperties>' "$1"
  printf '<Node><NodeName>AppID</NodeName><Value>w7</Value></Node>'
  printf '<Node><NodeName>ServerID</NodeName><Value>%s</Value></Node>' "$2"
  printf '<Node><NodeName>AppAddr</NodeName><Node><NodeName>1</NodeName>'
  printf '<Node><NodeName>Addr</NodeName><Value>%s</Value></Node></Node></Node>' "$url"
  if [ -n "${3:-}" ]; then
    printf '<Node><NodeName>AppAuth</NodeName><Node><NodeName>1</NodeName>'
    printf '<Node><NodeName>AAuthLevel</NodeName><Value>CLCRED</Value></Node>'
    printf '<Node><NodeName>AAuthType</NodeName><Value>DIGEST</Value></Node>'
    printf '<Node><NodeName>AAuthName</NodeName><Value>dev</Value></Node>'
    printf '<Node><NodeName>AAuthSecret</NodeName><Value>%s</Value></Node>' "$3"
    printf '</Node></Node>'
  fi
  printf '</Node>\n'
}
{
  printf '<MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD><Node><NodeName>DMAcc</NodeName>\n'
  acc cred cred.server s3cretpw
  acc open open.server
  printf '</Node></MgmtTree>\n'
} > "$tmp/tree.xml"
session_profile() { # session_profile NAME true|false
  profile "$1" "option.secrets_tls_only = $2"
  sed -i "/^\[profile\]/a factory_tree = $tmp/tree.xml" "$tmp/$1.profile"
  printf '[transport]\nallow_plain_http = true\n[session]\nserver_auth = false\n' \
    >> "$tmp/$1.profile"
}
session_profile tls true
expect 1 "secrets_tls_only: session with credentials refused" \
  "$PDM" "${P[@]}" session --server cred.server
contains "session refusal names the policy" "session refused by $WHO: terminal-policy: secrets_tls_only = true: the account's credentials would be sent to an http:// address"
if [ -s "$tmp/got" ]; then echo "FAIL secrets_tls_only: bytes reached the server"; fails=$((fails+1))
else echo "ok   secrets_tls_only: nothing sent"; fi
expect 0 "secrets_tls_only: audit" "$PDM" "${P[@]}" audit
contains "session audit row" "deny  server:cred.server     Session  ./DMAcc/cred"
contains "session audit reason" "terminal-policy: secrets_tls_only = true"
lacks "audit: no secret" "s3cretpw"
# the policy's reads of the account (child names) fail nowhere
lacks "audit: no refused read" "deny  factory"
lacks "audit: no failed read" "error factory"
# an account without client credentials is not this rule's: it is sent
# (the listener answers nothing, so the session fails after sending)
expect 1 "secrets_tls_only: session without credentials runs" \
  "$PDM" "${P[@]}" session --server open.server
lacks "no policy refusal" "terminal-policy"
if [ -s "$tmp/got" ]; then echo "ok   secrets_tls_only: the open account's request was sent"
else echo "FAIL secrets_tls_only: nothing sent for the open account"; fails=$((fails+1)); fi
: > "$tmp/got"
session_profile notls false
expect 1 "secrets_tls_only = false: session with credentials runs" \
  "$PDM" "${P[@]}" session --server cred.server
lacks "false: no policy refusal" "terminal-policy"
if [ -s "$tmp/got" ]; then echo "ok   secrets_tls_only = false: the request was sent"
else echo "FAIL secrets_tls_only = false: nothing sent"; fails=$((fails+1)); fi
if grep -qF s3cretpw "$tmp/got"; then echo "FAIL the secret itself on the wire"; fails=$((fails+1)); fi

echo "terminal-policy cli: $fails failure(s)"
[ "$fails" = 0 ]
