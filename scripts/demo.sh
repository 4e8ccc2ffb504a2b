#!/usr/bin/env bash
# The README's main job: a real OMA DM session on the default profile.
#
#  1. installs what is missing, builds polydm and the bundled test server;
#  2. makes a throwaway PKI (HTTPS with a client certificate);
#  3. starts polydm-testserver with examples/demo/demo.scn;
#  4. provisions the demo server's DM account into a fresh device state
#     (`polydm tree import`, as the user or a bootstrap would);
#  5. starts the agent on profiles/open-market.profile (the default);
#  6. the server sends a package 0 by WAP push over UDP; the agent verifies
#     it and runs the server-initiated session;
#  7. prints the conversation, the server's verdict and the resulting tree.
#
# Everything runs on 127.0.0.1; the work folder (a new one in $DEMO_DIR,
# default /tmp) is kept for a look.
set -euo pipefail
# Plugin modules that group or others can change are refused (loader
# StrictModes): whatever the caller's umask, build them 0755.
umask 022
cd "$(dirname "$0")/.."
ROOT=$PWD
# DEMO_BUILD_DIR: use an existing build instead (the e2e_demo test does).
B=${DEMO_BUILD_DIR:-}
if [ -z "$B" ]; then
  scripts/setup-deps.sh
  echo "== building polydm and the test server" >&2
  cmake --preset dev >/dev/null
  cmake --build --preset dev -j "$(nproc)" --target polydm_cli polydm_testserver \
    spec-authority >/dev/null
  B=$ROOT/build/dev
fi
start=$(date +%s)

PDM=$B/bin/polydm
SRV=$B/bin/polydm-testserver
PROFILE=$ROOT/profiles/open-market.profile
DEMO=$ROOT/examples/demo
mkdir -p "${DEMO_DIR:-/tmp}"
W=$(mktemp -d "${DEMO_DIR:-/tmp}/polydm-demo.XXXXXX")
P=(--profile "$PROFILE" --state "$W/device" --plugin-path "$B/plugins")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

wait_for() { # FILE TEXT: up to 10 s
  for _ in $(seq 1 200); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "demo: timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

echo "== throwaway PKI (server and device certificates)" >&2
mkdir -p "$W/pki"
(
  cd "$W/pki"
  printf 'cn = "polydm demo CA"\nca\ncert_signing_key\nexpiration_days = 1\n' >ca.tmpl
  printf 'cn = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nexpiration_days = 1\n' >srv.tmpl
  printf 'cn = "IMEI:493005100592800"\ntls_www_client\nexpiration_days = 1\n' >dev.tmpl
  certtool --generate-privkey --key-type=ecdsa --outfile ca.key
  certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.pem
  for k in srv dev; do
    certtool --generate-privkey --key-type=ecdsa --outfile $k.key
    certtool --generate-certificate --load-privkey $k.key --load-ca-certificate ca.pem \
      --load-ca-privkey ca.key --template $k.tmpl --outfile $k.pem
  done
) >"$W/pki/certtool.log" 2>&1

echo "== starting polydm-testserver (HTTPS, client certificate required)" >&2
"$SRV" --scenario "$DEMO/demo.scn" --port 0 --once --no-ipv6 \
  --tls-cert "$W/pki/srv.pem" --tls-key "$W/pki/srv.key" --tls-ca "$W/pki/ca.pem" \
  --require-client-cert --transcript "$W/server-transcript.txt" \
  >"$W/server.out" 2>"$W/server.err" &
srv_pid=$!; pids+=("$srv_pid")
wait_for "$W/server.out" "listening on"
url=$(sed -n 's/^listening on \(https:[^ ]*\).*/\1/p' "$W/server.out" | head -1)
echo "   $url" >&2

echo "== provisioning the demo server's account on a fresh device" >&2
sed "s#@URL@#$url#" "$DEMO/account.tnds.xml" >"$W/account.tnds.xml"
"$PDM" "${P[@]}" tree import "$W/account.tnds.xml" >/dev/null

echo "== starting the agent (profile: open-market, the default)" >&2
"$PDM" "${P[@]}" agent --listen 127.0.0.1:0 --ca "$W/pki/ca.pem" \
  --cert "$W/pki/dev.pem" --key "$W/pki/dev.key" --trace "$W/trace" \
  --ui-script "$DEMO/ui.txt" --device-state "$W/device-state.jsonl" \
  --exit-after 1 >"$W/agent.out" 2>"$W/agent.log" &
agent_pid=$!; pids+=("$agent_pid")
wait_for "$W/agent.out" "listening on udp"
udp=$(sed -n 's/^polydm agent: listening on udp //p' "$W/agent.out")

echo "== the server pushes a package 0 to $udp (WAP push over UDP)" >&2
"$SRV" --notify --server-id demo.server --password demo-server-secret \
  --nonce text:server-nonce --session-id 2A2A --ui background --push-to "$udp" >&2

agent_rc=0; wait "$agent_pid" || agent_rc=$?
srv_rc=0; wait "$srv_pid" || srv_rc=$?

echo
echo "================ the session, as the device saw it ================"
"$PDM" transcript "$W/trace"/001-*
echo "================ the server's verdict ================"
cat "$W/server.err"
echo
echo "================ what the device did (device-state file) ================"
sed -n 's/.*"action":"\([^"]*\)","detail":"\(.*\)"}$/  \1: \2/p' "$W/device-state.jsonl" | sed 's/\\"/"/g'
echo
echo "================ the device's tree afterwards ================"
"$PDM" "${P[@]}" tree show ./Settings
"$PDM" "${P[@]}" tree show ./DMAcc/demo/AppAuth
echo
echo "================ audit (changes by servers, refusals) ================"
"$PDM" "${P[@]}" audit | grep -v ' factory \| local ' | tail -n 12
echo
echo "demo: $(($(date +%s) - start)) s after the build; files in $W"
echo "      (trace/ has every message, server-transcript.txt the server's view)"
if [ "$agent_rc" != 0 ] || [ "$srv_rc" != 0 ]; then
  echo "demo: FAILED (agent exit $agent_rc, server exit $srv_rc); see $W/agent.log" >&2
  exit 1
fi
