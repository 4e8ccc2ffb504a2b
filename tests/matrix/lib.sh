# Helpers of the profile matrix's cases (tests/matrix/README.md), on top
# of the end-to-end helpers (tests/e2e/lib.sh: servers, agent, profiles).
# A case is run by tests/matrix/run with:
#   PDM SRV SRC PLUGIN_PATH  the polydm CLI, polydm-testserver, the source
#                            tree, the plugin path (as for tests/e2e)
#   MX_PROFILE               the shipped profile the device runs (its name)
#   MX_OUT                   this cell's folder: everything the case makes
#                            (profile, store, logs, transcripts, audit.txt)
# and prints its checks, then exactly one line `outcome: OUTCOME` (see
# mx_outcome).  A check that fails makes the outcome `error: ...`, which
# never matches an expectation.
set -u
. "$SRC/tests/e2e/lib.sh"
# The cell's folder is kept for the report (lib.sh's T is a temporary one).
rm -rf "$T"
T=$MX_OUT
mkdir -p "$T"
MX_STATE=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "$MX_STATE" ] && rm -rf "$MX_STATE"
}
# The machine has one pcscd, shared with the SIM tests (which hold
# /tmp/pcscd.lock): a case must not read whatever card is in its reader.
# sim-bootstrap is optional in every profile that loads it (S14), so the
# cases run on a plugin path without its module; a card case sets
# MX_SIM=1 before sourcing this file, keeps it and calls mx_sim (below;
# the runner runs it under the lock).  A static build that linked it in
# keeps it: run that under the lock.
if [ -z "${MX_SIM:-}" ]; then
  mkdir -p "$T/plugins"
  IFS=: read -ra _mx_dirs <<<"$PLUGIN_PATH"
  for _d in "${_mx_dirs[@]}"; do
    _d=$(cd "$_d" 2>/dev/null && pwd) || continue   # links need absolute targets
    for _so in "$_d"/*.so; do
      [ -e "$_so" ] && [ "${_so##*/}" != sim-bootstrap.so ] &&
        [ ! -e "$T/plugins/${_so##*/}" ] && ln -s "$_so" "$T/plugins/"
    done
  done
  PLUGIN_PATH=$T/plugins
fi
BASE_PROFILE=$MX_PROFILE
E2E_MO=                    # the shipped plugins only
MX_IMSI=001010123456789    # the device's IMSI (NETWPIN, USERNETWPIN)
MX_TREE=$SRC/tests/e2e/e2e.tnds.xml
MX_SCN=$SRC/tests/matrix/scenarios
E2E_SCN=$SRC/tests/e2e/scenarios
MX_EXAMPLE_PIN=sha256//ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=
MX_PIN=$MX_EXAMPLE_PIN     # the test server's key pin once mx_https ran
END_WAIT=${END_WAIT:-150}  # the test server's silence after a session (ms)
TLS=()                     # test server options for HTTPS (mx_https)
DEV=

# mx_outcome OUTCOME: prints the cell's outcome and ends the case.
#   allowed | refused by COMPONENT | n/a (REASON) | not built (REASON)
# The audit of the device (if there is one) is kept as audit.txt.
mx_outcome() {
  if [ -n "$DEV" ] && [ -f "$DEV/device.profile" ]; then
    "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
  fi
  if [ "$fails" -ne 0 ]; then
    echo "outcome: error: $fails failed check(s) (the case saw: $1)"
  else
    echo "outcome: $1"
  fi
  exit 0
}

# mx_plugin_built NAME: the plugin exists in this build (a module on the
# plugin path or linked into a static build): `profile check` of a profile
# naming it passes (it reads descriptors only, runs no plugin code).
mx_plugin_built() {
  mkdir -p "$T/probe"
  printf '[profile]\nid = probe\nabi = 1\n\n[plugin %s]\n' "$1" >"$T/probe/$1.profile"
  "$PDM" --plugin-path "$PLUGIN_PATH" profile check "$T/probe/$1.profile" \
    >"$T/probe/$1.out" 2>&1
}

# mx_need_plugin NAME: ends the case with `not built` unless the plugin is
# built and the shipped profile loads it.
mx_need_plugin() {
  if ! mx_plugin_built "$1"; then
    sed 's/^/    /' "$T/probe/$1.out"
    mx_outcome "not built ($1 is not in this build)"
  fi
  grep -q "^\[plugin $1\]" "$SRC/profiles/$MX_PROFILE.profile" ||
    mx_outcome "not built ($MX_PROFILE.profile does not load $1 yet)"
}

# mx_has NAME: the device's profile loads plugin NAME.
mx_has() { grep -q "^\[plugin $1\]" "$DEV/device.profile"; }

# mx_device [DIR [TREE [extra profile lines...]]]: the device under the
# shipped profile MX_PROFILE with factory tree TREE (default the e2e tree,
# its accounts at $SRV_URL, else at a closed port) and the IMSI; the extra
# lines go to [transport].  Sets DEV and P.
mx_device() {
  DEV=${1:-$T/dev}
  local tree=${2:-$MX_TREE}
  shift 2 2>/dev/null || shift $#
  : "${SRV_URL:=https://127.0.0.1:9/dm}"
  make_profile "$DEV" "$tree" "$@"
  device_line "$DEV" "imsi = $MX_IMSI"
  # The store and the agent's control socket live in a short folder: a
  # cell's own folder (under a build tree) can be longer than a Unix
  # socket path may be.  Removed at the end; the audit is kept.
  MX_STATE=$(mktemp -d /tmp/polydm-mx.XXXXXX)
  P=(--profile "$DEV/device.profile" --state "$MX_STATE" --plugin-path "$PLUGIN_PATH")
}

# mx_https: a throwaway PKI; sets TLS (test server options), MX_PIN (its
# key pin) and MX_TLS_LINES (the device's [transport] lines: the CA and a
# client certificate).  Call before mx_device.
mx_https() {
  make_pki "$T/pki" || return 1
  TLS=(--tls-cert "$T/pki/srv.pem" --tls-key "$T/pki/srv.key" --tls-ca "$T/pki/ca.pem")
  MX_PIN=$(certtool --pubkey-info --infile "$T/pki/srv.pem" 2>/dev/null |
    grep -o 'pin-sha256:[A-Za-z0-9+/=]*' | head -1 | sed 's#pin-sha256:#sha256//#')
  MX_TLS_LINES=("ca_file = $T/pki/ca.pem" "client_cert = $T/pki/cli.pem"
                "client_key = $T/pki/cli.key")
}

# mx_list SERVERID ADDRESS [owner]: where the profile has a whitelist
# (enterprise), puts SERVERID on it with the test server's key pin, so a
# case reaches the rule it is about instead of the whitelist.  `owner`
# replaces the owner entry (there is at most one).  No-op elsewhere.
mx_list() {
  mx_has enterprise-whitelist || return 0
  local n=2
  [ "${3:-}" = owner ] && n=1
  while grep -q "^option.entry.$n " "$DEV/device.profile" && [ "${3:-}" != owner ]; do
    n=$((n + 1))
  done
  profile_set "$DEV" "plugin enterprise-whitelist" "option.entry.$n" "$1 $2 $MX_PIN${3:+ $3}"
}

# mx_refusal FILE: the component of the first "refused by COMPONENT" in
# FILE (a trailing ':' dropped); empty if there is none.
mx_refusal() {
  grep -o 'refused by [^ ]*' "$1" 2>/dev/null | head -1 | sed 's/^refused by //; s/:$//'
}

# mx_local RC OUTFILE: the outcome of a local CLI operation (exit RC, its
# output in OUTFILE).  A refusal must name its component and be audited
# with it; anything but exit 0 or 1 is an error.
mx_local() {
  local rc=$1 out=$2 comp
  case $rc in
  0) MX_SAW=allowed ;;
  1)
    comp=$(mx_refusal "$out")
    [ -n "$comp" ] || { fail "exit 1 without 'refused by': $(head -c 300 "$out")"; comp=?; }
    "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
    expect_in "$T/audit.txt" "$comp" "the refusal is audited with $comp"
    MX_SAW="refused by $comp" ;;
  *) fail "exit $rc: $(head -c 300 "$out")"; MX_SAW="exit $rc" ;;
  esac
}

# mx_agent [agent options]: the agent on DEV (its state in DEV/device.jsonl).
mx_agent() { start_agent "$DEV" "$@"; }

# mx_push SERVERID [testserver options...]: the test server generates an
# OMA CP document (WBXML) with SERVERID's account (credentials of
# e2e's bootstrap-cp.scn, address https://127.0.0.1:9/SERVERID unless
# --url is given later) and pushes it to the agent; waits for the
# agent's verdict and sets MX_SAW (allowed / refused by COMPONENT) from
# the device-state record, checking the account is there or not.
mx_push() {
  local id=$1 n0 n line comp i; shift
  n0=$(grep -c '"action":"bootstrap"' "$DEV/device.jsonl" 2>/dev/null)
  "$SRV" --scenario "$E2E_SCN/bootstrap-cp.scn" --server-id "$id" \
    --url "https://127.0.0.1:9/$id" --account "${id%%.*}" \
    --push-bootstrap generate:cp --push-to "$AGENT_UDP" "$@" >>"$T/push.out" 2>&1 ||
    { fail "push for $id"; show "$T/push.out"; }
  for i in $(seq 1 200); do
    n=$(grep -c '"action":"bootstrap"' "$DEV/device.jsonl" 2>/dev/null)
    [ "${n:-0}" -gt "${n0:-0}" ] && break
    sleep 0.05
  done
  line=$(grep '"action":"bootstrap"' "$DEV/device.jsonl" 2>/dev/null | tail -1)
  if [ "${n:-0}" -le "${n0:-0}" ]; then
    fail "no bootstrap verdict for $id"; show "$DEV/agent.err"; MX_SAW="no verdict"; return
  fi
  echo "     device state: $line"
  case $line in
  *refused*)
    comp=$(printf '%s\n' "$line" | grep -o 'refused by [^ ]*' | head -1 | sed 's/^refused by //; s/:$//')
    MX_SAW="refused by ${comp:-?}"
    # (MX_EXISTING=1: the account was there before, e.g. a re-bootstrap)
    if [ -z "${MX_EXISTING:-}" ] && account_of "$id"; then
      fail "refused, yet $ACC exists for $id"
    fi ;;
  *applied*)
    MX_SAW=allowed
    account_of "$id" || fail "applied, yet no account for $id" ;;
  *) fail "verdict not understood: $line"; MX_SAW="?" ;;
  esac
}

# mx_session NAME SERVERID [session options]: the device's session with
# SERVERID, whose test server was started as NAME (start_server NAME ...,
# before mx_device so that the factory accounts point at it).  Exit 0:
# the test server's verdict must pass too -> allowed.  Exit 1: the
# refusal's component (from the output, and audited with it) -> refused
# by COMPONENT; the test server is stopped.  Keeps NAME.out (the client),
# NAME.transcript and NAME.err (the test server's).  Sets MX_SAW, MX_RC.
mx_session() {
  local name=$1 id=$2; shift 2
  "$PDM" "${P[@]}" session --server "$id" "$@" >"$T/$name.session" 2>&1
  MX_RC=$?
  echo "     session with $id: exit $MX_RC"
  if [ "$MX_RC" = 0 ]; then
    wait_server "$name"
    MX_SAW=allowed
  else
    kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
    mx_session_refusal "$id" "$T/$name.session"
  fi
}

# mx_session_refusal SERVERID OUTFILE: a session that failed: refused by
# the component its output names, else by the component of the audit's
# last deny/error row of SERVERID's Session (e.g. `session`: the core's
# session module for a server that failed authentication or TLS).
mx_session_refusal() {
  local comp
  "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
  comp=$(mx_refusal "$2")
  if [ -z "$comp" ]; then
    comp=$(awk -v p="server:$1" '($2 == "deny" || $2 == "error") && $3 == p && $4 == "Session" { c = $6 } END { print c }' "$T/audit.txt")
  fi
  if [ -z "$comp" ]; then
    fail "the failed session names no component and has no audit row"; show "$2"
    comp=?
  else
    expect_in "$T/audit.txt" "$comp" "the refusal is audited with $comp"
  fi
  MX_SAW="refused by $comp"
}

# ---- S1 (lost-device-lock) -------------------------------------------------

# mx_authority SCENARIO: makes boot.server the device's lock authority the
# way the market decides it, and runs its first session (SCENARIO, on a
# test server started here as `auth` over HTTPS, SRV_PID kept in
# MX_AUTH_PID, its address in MX_AUTH_URL).  The market's way:
#  - gsm-operator, cdma-3gpp2, enterprise (lock_authority = root-owner):
#    the root owner locks.  boot.server enrols the device by an
#    operator-grade CP push (USERNETWPIN, the PIN typed: operator-root and
#    3gpp2-takeover's root_on_netwpin make it the root owner) and, where
#    there is a whitelist, it is the whitelist's owner entry (mx_list
#    owner), which owns root at its bootstrap;
#  - open-market (nobody owns root) names the authority in
#    option.lock_authority: demo.server in the shipped file, "which an OEM
#    replaces" with its owners' service: the case names boot.server
#    there, the same push enrols it.
# The agent (started here, UI script pin=2468 then MX_UI's lines) applies
# the push and runs the new account's first session, client-initiated.
# Call after mx_https and mx_device; the agent keeps running.
mx_authority() {
  local scn=$1 la
  start_server auth "$scn" "${TLS[@]}" || mx_outcome "no test server"
  MX_AUTH_PID=$SRV_PID; MX_AUTH_URL=$SRV_URL
  mx_list boot.server "${MX_AUTH_URL%%\?*}" owner
  la=$(sed -n '/^\[plugin lost-device-lock\]/,/^\[/s/^option.lock_authority = //p' "$DEV/device.profile")
  case ",$la," in
  *,root-owner,*) ;;
  *) profile_set "$DEV" "plugin lost-device-lock" option.lock_authority boot.server ;;
  esac
  printf 'pin=2468\n%s' "${MX_UI:-}" >"$T/agent.ui"
  mx_agent --ui-script "$T/agent.ui" || mx_outcome "agent did not start"
  mx_push boot.server --url "$MX_AUTH_URL" --sec USERNETWPIN --imsi "$MX_IMSI" --pin 2468
  [ "$MX_SAW" = allowed ] || mx_outcome "error: boot.server's enrolment was $MX_SAW"
  SRV_PID=$MX_AUTH_PID wait_server auth
}

# mx_wire NAME CORRELATOR: from test server NAME's transcript (XML), the
# status codes the device gave the Execs ("exec CODE" lines) and the
# result codes of the OperationComplete alerts with CORRELATOR ("alert
# CODE" lines).
mx_wire() {
  python3 - "$T/$1.transcript" "$2" <<'PY'
import re, sys
t = open(sys.argv[1], errors="replace").read()
for st in re.findall(r"<Status>(.*?)</Status>", t, re.S):
    if re.search(r"<Cmd>\s*Exec\s*</Cmd>", st):
        m = re.search(r"<Data>\s*(\d+)\s*</Data>", st)
        print("exec", m.group(1) if m else "?")
for al in re.findall(r"<Alert>(.*?)</Alert>", t, re.S):
    if "OperationComplete" in al and re.search(r"<Correlator>\s*%s\s*</Correlator>" % re.escape(sys.argv[2]), al):
        m = re.findall(r"<Data>\s*(\d+)\s*</Data>", al)
        print("alert", m[-1] if m else "?")
PY
}

# mx_lock_verdict SERVERID NAME CORRELATOR: the outcome of SERVERID's
# FullyLock (Correlator CORRELATOR) in test server NAME's session.
# Allowed: the device is fully locked by SERVERID (`lock status`), the
# server got 202 and the OperationComplete alert 1200 with the Correlator.
# Refused: still unlocked, the server got 425, no alert, and the audit's
# deny row of the Exec names the component.  Sets MX_SAW.
mx_lock_verdict() {
  local id=$1 name=$2 corr=$3 codes comp alert
  "$PDM" "${P[@]}" lock status >"$T/lock.txt" 2>&1 || { fail "polydm lock status"; show "$T/lock.txt"; }
  sed 's/^/     lock status: /' "$T/lock.txt"
  mx_wire "$name" "$corr" >"$T/$name.wire"
  codes=$(sed -n 's/^exec //p' "$T/$name.wire" | tr '\n' ' ')
  alert=$(sed -n 's/^alert //p' "$T/$name.wire" | tr '\n' ' ')
  echo "     on the wire: Exec status $codes; OperationComplete ${alert:-none}"
  "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
  if grep -q '^state: 10 (fully locked)' "$T/lock.txt"; then
    expect_in "$T/lock.txt" "set by: server $id, plugin lost-device-lock" "locked on $id's order"
    [ "$codes" = "202 " ] && ok "the Exec got 202" || fail "the Exec got '$codes', expected 202"
    [ "$alert" = "1200 " ] && ok "one OperationComplete 1200 with Correlator $corr reached $id" ||
      fail "OperationComplete with Correlator $corr: '$alert', expected one 1200"
    MX_SAW=allowed
  else
    expect_in "$T/lock.txt" "state: 30 (unlocked)" "not locked"
    [ "$codes" = "425 " ] && ok "the Exec got 425" || fail "the Exec got '$codes', expected 425"
    [ -z "$alert" ] && ok "no OperationComplete alert" || fail "OperationComplete $alert after a refusal"
    comp=$(awk -v p="server:$id" '$2 == "deny" && $3 == p && $4 == "Exec" &&
      $5 == "./LAWMO/Operations/FullyLock" { print $6; exit }' "$T/audit.txt")
    [ -n "$comp" ] || { fail "the refused Exec is not audited"; comp=?; }
    MX_SAW="refused by $comp"
  fi
}

# mx_locked: the device under MX_PROFILE, fully locked by its authority
# boot.server (mx_authority, S1-lost-device/lock.scn), or the case ends
# with an error.  The agent keeps running.  A case that must change the
# profile before the agent starts calls mx_https and mx_device first.
mx_locked() {
  if [ -z "$DEV" ]; then    # (a case may set up the device itself first)
    mx_https || mx_outcome "no PKI"
    mx_device "$T/dev" "$MX_TREE" "${MX_TLS_LINES[@]}"
  fi
  mx_authority "$MX_SCN/S1-lost-device/lock.scn"
  mx_lock_verdict boot.server auth s1-lock
  [ "$MX_SAW" = allowed ] || mx_outcome "error: the authority's lock was $MX_SAW"
}

# ---- the virtual SIM (cases that set MX_SIM=1) ---------------------------
# A card case runs the real sim-bootstrap plugin of the shipped profile
# against an emulated UICC (tests/sim: vcard.py on vsmartcard's vpcd
# reader, images from mkcard) through the machine's one pcscd, which the
# case starts and stops itself.  The runner runs card cells one at a time
# under /tmp/pcscd.lock, CTest with RESOURCE_LOCK pcscd (README.md).
MX_SIMDIR=$SRC/tests/sim
MX_PY=/usr/bin/python3     # Debian's python: the card library is there
MX_CARD=                   # the inserted card's vcard.py

# mx_sim: the SIM stack for a card case, or the case ends:
#  - n/a where the shipped profile does not load sim-bootstrap: the
#    market reads no card (its header, S2);
#  - not built where this build has not got the plugin (no libpcsclite);
#  - skipped when root, pcscd or vsmartcard is missing (tests/sim/lib.sh's
#    sim_missing; the runner exits 77 when nothing else ran);
#  - error when a pcscd runs already: only one can run per machine, and a
#    card case must not read another test's card.
# Then starts pcscd (a child of the case, stopped at its end) and waits
# for its socket.
mx_sim() {
  local why pid i
  grep -q '^\[plugin sim-bootstrap\]' "$SRC/profiles/$MX_PROFILE.profile" ||
    mx_outcome "n/a ($MX_PROFILE reads no card: no sim-bootstrap)"
  mx_need_plugin sim-bootstrap
  why=$(. "$MX_SIMDIR/lib.sh"; sim_missing) || mx_outcome "skipped ($why)"
  if pid=$(. "$MX_SIMDIR/lib.sh"; sim_pcscd_running && echo "$pid"); then
    mx_outcome "error: a pcscd (pid $pid) runs already: card cells need the machine's only one (under /tmp/pcscd.lock)"
  fi
  pcscd --foreground >"$T/pcscd.log" 2>&1 &
  pids+=("$!")
  for i in $(seq 1 200); do
    [ -S /run/pcscd/pcscd.comm ] && return 0
    sleep 0.05
  done
  show "$T/pcscd.log"
  mx_outcome "error: pcscd did not start"
}

# mx_card NAME SERVERID [a|b [URL]]: a card image $T/cards/NAME.json
# carrying SERVERID's DM account: a DM-profile bootstrap (WBXML) the test
# server generates from e2e's bootstrap-cp.scn credentials, address URL
# (default https://127.0.0.1:9/SERVERID), unsigned as card files are, on
# mkcard's `dm` layout (a: ICCID 89490200001234567890), or its `dm-b`
# twin (b: ICCID 89490200009876543210, another card).  Sets MX_ICCID.
mx_card() {
  local name=$1 id=$2 img=dm url=${4:-https://127.0.0.1:9/$2}
  [ "${3:-a}" = b ] && img=dm-b
  mkdir -p "$T/cards"
  "$SRV" --scenario "$E2E_SCN/bootstrap-cp.scn" --server-id "$id" \
    --url "$url" --account "${id%%.*}" \
    --push-bootstrap generate:dm --doc-out "$T/cards/$name.wbxml" --no-send \
    >>"$T/cards/gen.out" 2>&1 &&
    "$MX_PY" "$MX_SIMDIR/mkcard" "$T/cards/$name.set" --dm "$T/cards/$name.wbxml" \
      >>"$T/cards/gen.out" 2>&1 ||
    { show "$T/cards/gen.out"; mx_outcome "error: the card image for $id"; }
  cp "$T/cards/$name.set/$img.json" "$T/cards/$name.json"
  MX_ICCID=$(head -1 "$T/cards/$name.set/$img.expect")
  echo "     card $name: $id's account on ICCID $MX_ICCID"
}

# mx_insert NAME: card NAME goes into the reader (its APDU trace in
# $T/NAME.trace; returns once vpcd has it); mx_remove: the card in the
# reader comes out.  The
# agent notices either through the plugin's reader watch.
mx_insert() {
  "$MX_PY" "$MX_SIMDIR/vcard.py" --trace "$T/cards/$1.json" >"$T/$1.trace" 2>&1 &
  MX_CARD=$!
  pids+=("$MX_CARD")
  wait_for "$T/$1.trace" "vcard: card" ||
    { show "$T/$1.trace"; show "$T/pcscd.log"; mx_outcome "error: card $1 did not reach the reader"; }
  echo "     card $1 inserted"
}
mx_remove() {
  kill "$MX_CARD" 2>/dev/null
  wait "$MX_CARD" 2>/dev/null
  MX_CARD=
  echo "     card removed"
}

# mx_until WHAT COMMAND...: until COMMAND succeeds (every 50 ms, 15 s at
# most: the agent reacts to a card change through the plugin's reader
# watch), or the case ends with an error naming WHAT.
mx_until() {
  local what=$1 i; shift
  for i in $(seq 1 300); do
    "$@" && return 0
    sleep 0.05
  done
  show "$DEV/agent.err"
  mx_outcome "error: $what: not within 15 s"
}

# mx_audit_has TEXT: the device's audit has a row containing TEXT.
mx_audit_has() {
  "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1 && grep -qF -- "$1" "$T/audit.txt"
}

# mx_card_rows: the audit's Bootstrap rows from the card (source
# sim-bootstrap/sim), one a line.
mx_card_rows() {
  "$PDM" "${P[@]}" audit 2>/dev/null |
    awk '$3 == "bootstrap:sim-bootstrap/sim" && $4 == "Bootstrap"'
}
mx_card_rows_over() { [ "$(mx_card_rows | wc -l)" -gt "$1" ]; }

# mx_card_verdict SERVERID N: the pipeline's verdict on the card's
# document, from the card source's first Bootstrap row after the first N
# (waits for it).  allow: SERVERID's account must be there, from origin
# smartcard -> allowed; deny: no account of SERVERID -> refused by the
# row's component.  Sets MX_SAW.
mx_card_verdict() {
  local id=$1 n=$2 row
  mx_until "no verdict on the card's document" mx_card_rows_over "$n"
  row=$(mx_card_rows | sed -n "$((n + 1))p")
  echo "     audit: $row"
  "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
  case $(printf '%s\n' "$row" | awk '{print $2}') in
  allow)
    account_of "$id" && ok "$id's account $ACC is there" || fail "allowed, yet no account of $id"
    case $row in *"ServerID $id (origin smartcard,"*) ok "audited with origin smartcard" ;;
    *) fail "the allow row names no ServerID $id from origin smartcard" ;; esac
    MX_SAW=allowed ;;
  deny | error)
    account_of "$id" && fail "refused, yet $ACC exists for $id"
    MX_SAW="refused by $(printf '%s\n' "$row" | awk '{print $6}')" ;;
  *) fail "the card's Bootstrap row is not understood"; MX_SAW="?" ;;
  esac
}

# mx_card_in NAME SERVERID: card NAME (made with mx_card for SERVERID)
# goes into the reader of the running agent; its verdict (mx_card_verdict)
# in MX_SAW.
mx_card_in() {
  local n
  n=$(mx_card_rows | wc -l)
  mx_insert "$1"
  mx_card_verdict "$2" "$n"
}

# mx_card_gone ICCID: the running agent saw the card ICCID leave: waits
# for the audit's BootstrapSourceGone row naming it, prints it and sets
# MX_GONE to what the core did (its last word: removed / kept / ...).
mx_card_gone() {
  mx_until "no BootstrapSourceGone row for card $1" mx_audit_has "no longer has $1"
  local row
  row=$(grep -F "no longer has $1" "$T/audit.txt" | tail -1)
  echo "     audit: $row"
  MX_GONE=$(printf '%s\n' "$row" | sed 's/.*no longer has [^:]*: //; s/ .*//')
}
