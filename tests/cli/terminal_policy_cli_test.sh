#!/usr/bin/env bash
# terminal-policy loaded by the engine from a profile: its options decide
# real bootstraps and sessions (exit codes, messages, audit rows naming
# policy:terminal-policy/terminal, tree unchanged, nothing sent).
# Usage: terminal_policy_cli_test.sh POLYDM SOURCE_DIR PLUGIN_DIR FIXTURE_DIR
#        [TESTSERVER]
set -u
PDM=$1 SRC=$2 PLUG=$3 FX=$4 SRV=${5:-}
fails=0
tmp=$(mktemp -d); lpid= spid=
trap 'for p in $lpid $spid; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
W7=$SRC/tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml
W7_MAC=AD7163230A2A4AE07605ECC3E4916ABA104B7211 # NETWPIN, IMSI below
CT=application/vnd.wap.connectivity-wbxml
WHO=policy:terminal-policy/terminal

. "$(dirname "$0")/lib.sh"
contains() {
  if ! grep -qF -- "$2" <<<"$out"; then
    echo "FAIL $1: output lacks: $2"; echo "$out" | sed 's/^/    /'
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

# ---- smartcard = off: the card's document refused at the policy step --
# fx-bootstrap plays the smart card (origin 2, unsigned, as sim-bootstrap)
card() { # card NAME on|off
  profile "$1" "option.smartcard = $2"
  printf '[bootstrap]\nunsigned_origins = factory,smartcard\n[plugin fx-bootstrap]\n' >> "$tmp/$1.profile"
  printf 'option.file = %s\noption.content_type = %s\n' "$W7" "$CT" >> "$tmp/$1.profile"
  P=(--plugin-path "$PLUG:$FX" --profile "$tmp/$1.profile" --state "$tmp/st-$1")
}
card cardoff off
expect 1 "smartcard = off: card document refused" "$PDM" "${P[@]}" bootstrap --scan
contains "smartcard = off says" "funambol: terminal-policy: smartcard = off: smart-card bootstrap is disabled on this terminal"
expect 0 "smartcard = off: audit" "$PDM" "${P[@]}" audit
contains "card audit row" "$WHO refused (permission denied): funambol: terminal-policy: smartcard = off"
contains "card audit origin" "(origin smartcard, SEC NONE)"
card cardon on
expect 0 "smartcard = on: card document applied" "$PDM" "${P[@]}" bootstrap --scan
contains "smartcard = on applied" "scan: 1 applied, 0 refused"

# ---- cp_rebootstrap: a CP document replacing an existing account -------
# (the core's bootstrap.replace_existing lets a bootstrap replace one; the
# policy then sees account_exists = 1 and the document's type)
profile reb 'option.cp_rebootstrap = deny'
printf '[bootstrap]\nreplace_existing = true\n' >> "$tmp/reb.profile"
expect 0 "cp_rebootstrap: first CP bootstrap applied" push_netwpin
expect 1 "cp_rebootstrap = deny: CP re-bootstrap refused" push_netwpin
contains "cp_rebootstrap says" "bootstrap refused by $WHO: funambol: terminal-policy: cp_rebootstrap = deny: an OMA CP bootstrap may not replace an existing DM account"
expect 0 "cp_rebootstrap: audit" "$PDM" "${P[@]}" audit
contains "cp_rebootstrap audit row" "$WHO refused (permission denied): funambol: terminal-policy: cp_rebootstrap = deny"
sed -i 's/cp_rebootstrap = deny/cp_rebootstrap = allow/' "$tmp/reb.profile"
expect 0 "cp_rebootstrap = allow: replaced" push_netwpin
contains "replaced" "applied: ./DMAcc/funambol for ServerID funambol (replaced)"

# ---- precedence: the card (fx-bootstrap) against a push ----------------
# replace_existing and cp_rebootstrap = allow leave the decision to it
prec() { # prec NAME VALUE
  profile "$1" "option.precedence = $2" "option.cp_rebootstrap = allow"
  printf '[bootstrap]\nunsigned_origins = factory,smartcard\nreplace_existing = true\n' >> "$tmp/$1.profile"
  printf '[plugin fx-bootstrap]\noption.file = %s\noption.content_type = %s\n' "$W7" "$CT" >> "$tmp/$1.profile"
  P=(--plugin-path "$PLUG:$FX" --profile "$tmp/$1.profile" --state "$tmp/st-$1")
}
prec pcard smartcard
expect 0 "precedence = smartcard: card applied" "$PDM" "${P[@]}" bootstrap --scan
expect 1 "precedence = smartcard: push refused" push_netwpin
contains "precedence = smartcard says" "terminal-policy: precedence = smartcard: an over-the-air bootstrap is refused while the smart card's account exists"
expect 0 "precedence = smartcard: a file is not over the air" push_netwpin file
prec pota ota
expect 0 "precedence = ota: push applied" push_netwpin
expect 1 "precedence = ota: card refused" "$PDM" "${P[@]}" bootstrap --scan
contains "precedence = ota says" "terminal-policy: precedence = ota: a smart-card bootstrap is refused while an over-the-air account exists"
prec pfirst first
expect 0 "precedence = first: card applied" "$PDM" "${P[@]}" bootstrap --scan
expect 0 "precedence = first: push replaces it" push_netwpin

# ---- privileged_userpin: a USERPIN bootstrap never grants root ----------
# fx-authority (mode root) names the bootstrapped server root owner: the
# core asks PDM_OP_TAKEOVER with principal BOOTSTRAP and the document's SEC
if command -v openssl >/dev/null; then
  umac=$(openssl dgst -sha1 -mac HMAC -macopt key:4711 "$W7" | awk '{print $NF}')
  printf 'pin=4711\n' > "$tmp/pin.ui"
  priv() { # priv NAME deny|allow
    profile "$1" "option.privileged_userpin = $2"
    sed -i "/^\[profile\]/a authority = fx-authority" "$tmp/$1.profile"
    printf '[plugin fx-authority]\noption.mode = root\n' >> "$tmp/$1.profile"
    P=(--plugin-path "$PLUG:$FX" --profile "$tmp/$1.profile" --state "$tmp/st-$1")
  }
  userpin() { "$PDM" "${P[@]}" bootstrap --sec USERPIN --mac "$umac" \
    --ui-script "$tmp/pin.ui" --origin push --content-type "$CT" "$W7"; }
  priv pdeny deny
  expect 1 "privileged_userpin = deny: USERPIN root grant refused" userpin
  contains "privileged_userpin says" "terminal-policy: privileged_userpin = deny: a USERPIN bootstrap never grants root"
  expect 1 "privileged_userpin = deny: no account" "$PDM" "${P[@]}" tree get ./DMAcc/funambol/ServerID
  expect 0 "privileged_userpin: audit" "$PDM" "${P[@]}" audit
  contains "privileged_userpin audit row" "$WHO refused (permission denied): the grant for funambol names funambol root owner"
  lacks "audit: no PIN" "4711"
  # NETWPIN: not the user's PIN, the grant stands
  expect 0 "privileged_userpin = deny: NETWPIN root grant applied" push_netwpin
  priv pallow allow
  expect 0 "privileged_userpin = allow: USERPIN root grant applied" userpin
else
  echo "skip privileged_userpin: no openssl"
fi

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
contains "session audit row" "deny  server:cred.server"
contains "session audit uri" "Session  ./DMAcc/cred"
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

# A server's Replace of a secret over plain HTTP: refused (425, audited)
# under secrets_tls_only = true, while its other commands are answered.
# The account has only server credentials, so the session itself runs.
if [ -x "$SRV" ]; then
  cat > "$tmp/secret.scn" <<'EOF'
server-id srv.server
client-auth none
server-auth md5 name=srv.server password=srvpw nonce=text:srvnonce
pkg1
  alert 1201
send
  replace r1 ./DMAcc/srv/AppAuth/1/AAuthSecret format=chr data="newsrvpw"
  replace r2 ./DMAcc/srv/Name format=chr data="renamed"
reply
  status r1 STATUS
  status r2 200
end
EOF
  secret_run() { # secret_run NAME true|false STATUS
    sed "s/STATUS/$3/" "$tmp/secret.scn" > "$tmp/$1.scn"
    "$SRV" --scenario "$tmp/$1.scn" --port 0 --once --no-ipv6 --timeout 20 \
      > "$tmp/$1.out" 2> "$tmp/$1.err" & spid=$!
    for _ in $(seq 200); do grep -q "listening on" "$tmp/$1.out" 2>/dev/null && break; sleep 0.05; done
    url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$tmp/$1.out" | head -1)
    {
      printf '<MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD><Node><NodeName>DMAcc</NodeName>'
      printf '<Node><NodeName>srv</NodeName><RTProperties><Format><node/></Format></RTProperties>'
      printf '<Node><NodeName>AppID</NodeName><Value>w7</Value></Node>'
      printf '<Node><NodeName>ServerID</NodeName><Value>srv.server</Value></Node>'
      printf '<Node><NodeName>Name</NodeName><Value>srv</Value></Node>'
      printf '<Node><NodeName>AppAddr</NodeName><Node><NodeName>1</NodeName>'
      printf '<Node><NodeName>Addr</NodeName><Value>%s</Value></Node></Node></Node>' "$url"
      printf '<Node><NodeName>AppAuth</NodeName><Node><NodeName>1</NodeName>'
      printf '<Node><NodeName>AAuthLevel</NodeName><Value>SRVCRED</Value></Node>'
      printf '<Node><NodeName>AAuthType</NodeName><Value>DIGEST</Value></Node>'
      printf '<Node><NodeName>AAuthName</NodeName><Value>srv.server</Value></Node>'
      printf '<Node><NodeName>AAuthSecret</NodeName><Value>srvpw</Value></Node>'
      printf '<Node><NodeName>AAuthData</NodeName><Value>c3J2bm9uY2U=</Value></Node>'
      printf '</Node></Node></Node></Node></MgmtTree>\n'
    } > "$tmp/$1.xml"
    profile "$1" "option.secrets_tls_only = $2"
    sed -i "/^\[profile\]/a factory_tree = $tmp/$1.xml" "$tmp/$1.profile"
    printf '[transport]\nallow_plain_http = true\n' >> "$tmp/$1.profile"
    expect 0 "$1: session" "$PDM" "${P[@]}" session --server srv.server
    if wait "$spid"; then echo "ok   $1: server: $(tail -n 1 "$tmp/$1.err")"
    else echo "FAIL $1: server"; sed 's/^/    /' "$tmp/$1.err"; fails=$((fails+1)); fi
    spid=
  }
  secret_run secret-tls true 425
  expect 0 "secret-tls: audit" "$PDM" "${P[@]}" audit
  contains "secret audit row" "Replace  ./DMAcc/srv/AppAuth/1/AAuthSecret $WHO terminal-policy: secrets_tls_only = true: a server's Replace of a secret (AAuthSecret) is accepted only over TLS with a verified server"
  contains "secret audit deny" "deny  server:srv.server"
  lacks "secret audit: no value" "newsrvpw"
  expect 0 "secret-tls: Name replaced" "$PDM" "${P[@]}" tree get ./DMAcc/srv/Name
  contains "Name value" "renamed"
  secret_run secret-plain false 200
else
  echo "skip secrets over HTTP from a server: no polydm-testserver"
fi

echo "terminal-policy cli: $fails failure(s)"
[ "$fails" = 0 ]
