# Helpers of the end-to-end tests (sourced by e2e.sh): a polydm client or
# agent and polydm-testserver on loopback, each test in its own folder.
# Needs: PDM, SRV, ORACLE, SRC, PLUGIN_PATH (set by CTest, see
# CMakeLists.txt).

fails=0
T=$(mktemp -d /tmp/polydm-e2e.XXXXXX)
KEEP=${E2E_KEEP:-}
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ -n "$KEEP" ]; then echo "e2e: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok   $*"; }
# Shows a file's tail when something failed (the test log is the report).
show() { echo "---- $1"; tail -n "${2:-40}" "$1" 2>/dev/null | sed 's/^/    /'; }

# Waits until FILE contains TEXT (a fixed string); 10 s at most.
wait_for() {
  local file=$1 text=$2 i
  for i in $(seq 1 200); do
    grep -qF -- "$text" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# start_server NAME SCENARIO [server options...]
#   Starts polydm-testserver --once on an ephemeral port; sets SRV_URL,
#   SRV_PORT and SRV_PID.  Its report goes to $T/NAME.err, its
#   transcript to $T/NAME.transcript.
start_server() {
  local name=$1 scn=$2; shift 2
  "$SRV" --scenario "$scn" --port "${SRV_FIXED_PORT:-0}" --once --no-ipv6 \
    --end-wait "${END_WAIT:-400}" --timeout 20 \
    --transcript "$T/$name.transcript" "$@" >"$T/$name.out" 2>"$T/$name.err" &
  SRV_PID=$!
  pids+=("$SRV_PID")
  if ! wait_for "$T/$name.out" "listening on"; then
    fail "$name: the test server did not start"; show "$T/$name.err"; return 1
  fi
  SRV_URL=$(sed -n 's/^listening on \(http[s]*:[^ ]*\).*/\1/p' "$T/$name.out" | head -1)
  SRV_PORT=${SRV_URL##*:}; SRV_PORT=${SRV_PORT%%/*}
}

# free_port SCENARIO: a TCP port that is free now, for a server started
# later (start a throwaway server on an ephemeral port, stop it); sets
# FREE_PORT.
free_port() {
  start_server probe "$1" || return 1
  FREE_PORT=$SRV_PORT
  kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null
  return 0
}

# wait_server NAME [expected exit code]: the scenario's verdict.
wait_server() {
  local name=$1 want=${2:-0} rc
  wait "$SRV_PID"; rc=$?
  if [ "$rc" != "$want" ]; then
    fail "$name: test server exit $rc, expected $want"
    show "$T/$name.err" 60
    return 1
  fi
  ok "$name: $(tail -n 1 "$T/$name.err" | sed 's/^polydm-testserver: //')"
}

# make_profile DIR TREE_TEMPLATE [extra profile lines...]
#   A profile based on the shipped open-market profile ($BASE_PROFILE, a
#   shipped profile's name, picks another), with the factory
#   tree TREE_TEMPLATE (@URL@ replaced by $SRV_URL), the e2e-mo plugin and
#   plain HTTP allowed on loopback.  Sets P=(polydm global options).
make_profile() {
  local dir=$1 tree=$2; shift 2
  mkdir -p "$dir"
  sed "s#@URL@#${SRV_URL}#g" "$tree" >"$dir/tree.xml"
  awk -v f="$dir/tree.xml" '/^\[profile\]/ {print; print "factory_tree = " f; next} {print}' \
    "$SRC/profiles/${BASE_PROFILE:-open-market}.profile" >"$dir/device.profile"
  {
    printf '\n[transport]\nallow_plain_http = true\n'
    for l in "$@"; do printf '%s\n' "$l"; done
    # E2E_MO= (empty) leaves the test MO out (the profile matrix runs the
    # shipped plugins only, also against a static build without it).
    [ -n "${E2E_MO-e2e-mo}" ] && printf '\n[plugin %s]\n' "${E2E_MO-e2e-mo}"
  } >>"$dir/device.profile"
  P=(--profile "$dir/device.profile" --state "$dir/state" --plugin-path "$PLUGIN_PATH")
}

# make_pki DIR: a throwaway PKI (certtool, ECDSA): ca.pem, srv.pem/srv.key
# for localhost and 127.0.0.1, cli.pem/cli.key for the device.
make_pki() {
  local pki=$1
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
    { fail "certtool"; show "$pki/log"; return 1; }
}

# profile_set DIR SECTION KEY VALUE: sets KEY in [SECTION] of DIR's
# profile (replaced where present, else added to the section).
profile_set() {
  python3 - "$1/device.profile" "$2" "$3" "$4" <<'PY'
import sys
f, sec, key, val = sys.argv[1:]
out, cur, done = [], None, False
for line in open(f).read().splitlines():
    t = line.strip()
    if t.startswith("[") and t.endswith("]"):
        if cur == sec and not done:
            out.append(f"{key} = {val}"); done = True
        cur = t[1:-1]
    elif cur == sec and "=" in t and not t.startswith("#") and t.split("=", 1)[0].strip() == key:
        line, done = f"{key} = {val}", True
    out.append(line)
if not done:
    if cur != sec:
        out.append(f"[{sec}]")
    out.append(f"{key} = {val}")
open(f, "w").write("\n".join(out) + "\n")
PY
}

# device_line DIR LINE: adds LINE (e.g. "imsi = 001010123456789") to the
# [device] section of DIR's profile.
device_line() {
  sed -i "/^\[device\]/a $2" "$1/device.profile"
}

# account_of SERVERID: sets ACC to the ./DMAcc/<x> whose ServerID is
# SERVERID; returns 1 (ACC empty) if there is none.
account_of() {
  local x
  ACC=
  for x in $("$PDM" "${P[@]}" tree get ./DMAcc 2>/dev/null); do
    if [ "$("$PDM" "${P[@]}" tree get "./DMAcc/$x/ServerID" 2>/dev/null)" = "$1" ]; then
      ACC=./DMAcc/$x
      return 0
    fi
  done
  return 1
}

# start_agent DIR [agent options...]: sets AGENT_UDP and AGENT_PID.
start_agent() {
  local dir=$1; shift
  "$PDM" "${P[@]}" -v agent --listen 127.0.0.1:0 --trace "$dir/trace" \
    --device-state "$dir/device.jsonl" "$@" >"$dir/agent.out" 2>>"$dir/agent.err" &
  AGENT_PID=$!
  pids+=("$AGENT_PID")
  if ! wait_for "$dir/agent.out" "listening on udp"; then
    fail "agent did not start"; show "$dir/agent.err"; return 1
  fi
  AGENT_UDP=$(sed -n 's/^polydm agent: listening on udp //p' "$dir/agent.out" | tail -1)
}

stop_agent() {
  kill -TERM "$AGENT_PID" 2>/dev/null
  wait "$AGENT_PID" 2>/dev/null
}

# Waits until the agent's log says N sessions ended (from `status`).
wait_sessions() {
  local n=$1 i
  for i in $(seq 1 300); do
    "$PDM" "${P[@]}" --json status 2>/dev/null | grep -q "\"sessions_ended\":$n[,}]" && return 0
    sleep 0.1
  done
  return 1
}

# expect_value URI VALUE: the device's tree after the session.
expect_value() {
  local got
  got=$("$PDM" "${P[@]}" tree get "$1" 2>&1)
  [ "$got" = "$2" ] && ok "tree $1 = $2" || fail "tree $1 is '$got', expected '$2'"
}

expect_absent() {
  if "$PDM" "${P[@]}" tree get "$1" >/dev/null 2>&1; then
    fail "tree $1 exists"
  else
    ok "tree $1 absent"
  fi
}

# expect_in FILE TEXT [label]
expect_in() {
  if grep -qF -- "$2" "$1" 2>/dev/null; then ok "${3:-$2}"; else
    fail "${3:-$1 lacks $2}: $(basename "$1") lacks: $2"; show "$1" 20
  fi
}

expect_not_in() {
  if grep -qF -- "$2" "$1" 2>/dev/null; then
    fail "${3:-$1 contains $2}: $(basename "$1") contains: $2"
  else ok "${3:-no $2}"; fi
}

# Independent WBXML decoders on every .wbxml file below DIR (gathered in
# one folder: one tshark run for all of them).
oracle_check() {
  local dir=$1 n=0 f all=$T/oracle.$RANDOM
  mkdir -p "$all"
  while IFS= read -r f; do
    n=$((n + 1)); cp "$f" "$all/$n.wbxml"
  done < <(find "$dir" -name '*.wbxml' ! -path "$T/oracle.*" | sort)
  if [ "$n" = 0 ]; then fail "no WBXML messages in $dir"; return; fi
  if "$ORACLE" "$all" >"$T/oracle.log" 2>&1; then
    ok "wbxml2xml and tshark decode all $n WBXML messages"
  else
    fail "oracle (wbxml2xml, tshark) on the WBXML messages of $dir"; show "$T/oracle.log"
  fi
}

finish() {
  if [ "$fails" -ne 0 ]; then
    echo "e2e: $fails failure(s) (rerun with E2E_KEEP=1 to keep $T)"
    exit 1
  fi
  echo "e2e: all checks passed"
}
