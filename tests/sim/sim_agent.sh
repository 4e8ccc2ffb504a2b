#!/usr/bin/env bash
# sim_agent: the agent, the virtual SIM and the test server, end to end, on
# the shipped gsm-operator profile (issue 11):
#   1. card present at start: the agent reads it (origin smartcard, source
#      the ICCID), creates the operator's account and runs its first
#      session (Alert 1201) against the test server, which judges it;
#   2. card removed while the agent runs: the account goes (audited
#      BootstrapSourceGone), with no scan asked for: the agent watches the
#      reader;
#   3. the card inserted again: applied again, and a new first session;
#   4. card swapped for another ICCID: the old card's account goes, the new
#      card's account comes; also with no wait between pulling one card
#      and inserting the other, and while the agent is stopped (SIGSTOP);
#   5. bootstrap.removed_source = keep: a removed card's account stays,
#      audited as kept;
#   6. bootstrap.disabled_origins = smartcard: the card is never read (no
#      APDU from the agent, through an insertion too), one
#      BootstrapSourceDisabled audit row.
# Exit 77 with a reason when the stack cannot run here (lib.sh).
#
# Usage: sim_agent.sh READEF POLYDM PLUGIN_DIR TESTSERVER SOURCE_DIR
set -uo pipefail
TEST=sim_agent
READEF=${1:-} PDM=${2:-} PLUGINS=${3:-} SRV=${4:-} SRC=${5:-}
. "$(dirname "$0")/lib.sh"
sim_check
[ -x "$PDM" ] && [ -f "$PLUGINS/sim-bootstrap.so" ] ||
  skip "polydm or the sim-bootstrap plugin not built (libpcsclite-dev missing?)"
[ -x "$SRV" ] || skip "polydm-testserver not built"
sim_start
SCN=$SIM_HERE/sim-agent.scn
A=""      # the agent's pid
S=""      # the test server's pid
cleanup_all() {
  [ -n "$A" ] && kill "$A" 2>/dev/null; [ -n "$A" ] && wait "$A" 2>/dev/null
  [ -n "$S" ] && kill "$S" 2>/dev/null; [ -n "$S" ] && wait "$S" 2>/dev/null
  A=""; S=""
  sim_cleanup
}
trap cleanup_all EXIT

ok() { echo "ok   $*"; }
# wait_for FILE PATTERN [TENTHS]: until FILE has a line matching PATTERN.
wait_for() {
  local i
  for i in $(seq 1 "${3:-150}"); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }
# wait_count FILE PATTERN N: until FILE has N lines matching PATTERN (15 s).
wait_count() {
  local i
  for i in $(seq 1 150); do
    [ "$(count "$1" "$2")" -ge "$3" ] && return 0
    sleep 0.1
  done
  return 1
}

# The server's port is fixed for the whole test: the card's account names
# it.  A throwaway server finds a free one.
"$SRV" --scenario "$SCN" --port 0 --no-ipv6 >"$WORK/probe.out" 2>&1 &
S=$!
wait_for "$WORK/probe.out" "listening on" || { fail "test server did not start"; cat "$WORK/probe.out"; exit 1; }
URL=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$WORK/probe.out" | head -1)
PORT=${URL##*:}; PORT=${PORT%%/*}
kill "$S"; wait "$S" 2>/dev/null; S=""

# server NAME: one judged session on $PORT, in the background.
server() {
  "$SRV" --scenario "$SCN" --port "$PORT" --once --no-ipv6 --timeout 30 \
    --transcript "$WORK/$1.transcript" >"$WORK/$1.out" 2>"$WORK/$1.err" &
  S=$!
  wait_for "$WORK/$1.out" "listening on" || fail "$1: the test server did not start"
}
# verdict NAME: the server's exit status (0 = every expectation held).
verdict() {
  wait "$S"; local rc=$?; S=""
  if [ "$rc" -eq 0 ]; then ok "$1: the test server's verdict: passed"
  else fail "$1: test server exit $rc"; tail -20 "$WORK/$1.err" >&2; fi
}

# The operator's account, unsigned (a card's file has no SEC), on two card
# sets: dm (ICCID A) and dm-b (ICCID B) carry it.
"$SRV" --scenario "$SCN" --push-bootstrap generate:dm --url "$URL" \
  --account simop --doc-out "$WORK/op.wbxml" --no-send >"$WORK/gen.out" 2>&1 ||
  { fail "generating the card's bootstrap"; cat "$WORK/gen.out"; exit 1; }
"$PY" "$SIM_HERE/mkcard" "$WORK/opcards" --dm "$WORK/op.wbxml" >/dev/null ||
  { fail "mkcard --dm"; exit 1; }
CARDS=$WORK/opcards
ICCID_A=$(head -1 "$CARDS/dm.expect")
ICCID_B=$(head -1 "$CARDS/dm-b.expect")

# profile FILE [SECTION:KEY=VALUE...]: the shipped gsm-operator profile
# with those keys set (replaced where present, else added to the section,
# which is added if missing) and plain HTTP on loopback allowed.  The
# terminal policy's secrets_tls_only is turned off: the test server speaks
# plain HTTP (the TLS rule has its own tests).
profile() {
  local f=$1; shift
  "$PY" - "$SRC/profiles/gsm-operator.profile" "$f" \
    "plugin terminal-policy:option.secrets_tls_only=false" \
    "transport:allow_plain_http=true" "$@" <<'PYEOF'
import sys
src, dst, sets = sys.argv[1], sys.argv[2], sys.argv[3:]
want = {}
for a in sets:
    sec, kv = a.split(":", 1)
    k, v = kv.split("=", 1)
    want.setdefault(sec, {})[k] = v
out, cur, done = [], None, set()
def flush():
    for k, v in want.get(cur, {}).items():
        if (cur, k) not in done:
            out.append(f"{k} = {v}")
            done.add((cur, k))
for line in open(src).read().splitlines():
    t = line.strip()
    if t.startswith("[") and t.endswith("]"):
        flush()
        cur = t[1:-1]
    elif cur in want and "=" in t and not t.startswith("#"):
        k = t.split("=", 1)[0].strip()
        if k in want[cur]:
            out.append(f"{k} = {want[cur][k]}")
            done.add((cur, k))
            continue
    out.append(line)
flush()
for sec, kv in want.items():
    if any((sec, k) not in done for k in kv):
        out.append(f"[{sec}]")
        cur = sec
        flush()
open(dst, "w").write("\n".join(out) + "\n")
PYEOF
}
# agent DIR: start the agent on DIR's profile and state.
agent() {
  local d=$1
  G=(--plugin-path "$PLUGINS" --profile "$d/device.profile" --state "$d/state")
  "$PDM" "${G[@]}" -v agent --listen 127.0.0.1:0 --device-state "$d/device.jsonl" \
    >"$d/agent.out" 2>>"$d/agent.err" &
  A=$!
  wait_for "$d/agent.out" "listening on udp" || { fail "agent did not start"; cat "$d/agent.err" >&2; }
}
stop_agent() { kill -TERM "$A" 2>/dev/null; wait "$A" 2>/dev/null; A=""; }
audit() { "$PDM" "${G[@]}" audit >"$1" 2>&1 || fail "polydm audit failed"; }
has_account() { "$PDM" "${G[@]}" tree show ./DMAcc 2>/dev/null | grep -q "sim.operator"; }
wait_account() { # wait_account yes|no
  local i
  for i in $(seq 1 150); do
    if has_account; then [ "$1" = yes ] && return 0; else [ "$1" = no ] && return 0; fi
    sleep 0.1
  done
  return 1
}

# ---- 1-4: the default profile (removed_source = remove) -------------------
D=$WORK/dev; mkdir -p "$D"
profile "$D/device.profile" bootstrap:unsigned_origins=factory,smartcard
insert dm; wait_card
server s1
agent "$D"
wait_for "$D/device.jsonl" "sim.operator: ended" 300 || fail "1: no session with sim.operator"
verdict s1
grep -q "sim.operator: ended normally" "$D/device.jsonl" && ok "1: the first session ended normally" ||
  fail "1: the first session did not end normally"
grep -q "<Data>1201</Data>" "$WORK/s1.transcript" && ok "1: client-initiated (Alert 1201)" ||
  fail "1: the server saw no Alert 1201"
has_account && ok "1: account for sim.operator" || fail "1: no account for sim.operator"
audit "$WORK/a1"
grep -Eq "allow bootstrap:sim-bootstrap/sim Bootstrap ./DMAcc/simop .*ServerID sim.operator \(origin smartcard, SEC NONE\)" "$WORK/a1" &&
  ok "1: audited: bootstrap from the smart card" || { fail "1: no Bootstrap row with origin smartcard"; cat "$WORK/a1" >&2; }
grep -q "bootstrap scan (start-up): 1 applied" "$D/agent.err" && ok "1: read at start-up" ||
  fail "1: the start-up scan did not apply the card"
[ "$("$PDM" "${G[@]}" owner 2>&1 | head -1)" = "root owner: sim.operator" ] &&
  ok "1: the card's operator owns root (operator-root)" || fail "1: root owner: $("$PDM" "${G[@]}" owner 2>&1 | head -1)"
grep -q "watching 1 bootstrap source" "$D/agent.err" && ok "1: the agent watches the reader" ||
  fail "1: the agent does not watch the card reader"

# 2. Removed while the agent runs: the account goes by itself.
remove
wait_account no && ok "2: card removed: the account is gone" || fail "2: the account is still there"
[ "$("$PDM" "${G[@]}" owner 2>&1 | head -1)" = "root owner: nobody" ] &&
  ok "2: nobody owns root any more" || fail "2: root owner: $("$PDM" "${G[@]}" owner 2>&1 | head -1)"
audit "$WORK/a2"
grep -q "BootstrapSourceGone ./DMAcc/simop .*: source sim-bootstrap/sim no longer has $ICCID_A: removed" "$WORK/a2" &&
  ok "2: audited BootstrapSourceGone" || { fail "2: no BootstrapSourceGone row"; cat "$WORK/a2" >&2; }

# 3. The same card again: applied again, a new first session.
server s3
insert dm
wait_account yes && ok "3: card inserted: the account is back" || fail "3: no account after the insertion"
wait_count "$D/device.jsonl" "sim.operator: ended" 2
[ "$(count "$D/device.jsonl" "sim.operator: ended normally")" = 2 ] &&
  ok "3: its first session ran again" || fail "3: no second session with sim.operator"
verdict s3

# 4. Swapped for another ICCID: the old card's account goes, the new one's comes.
remove
wait_account no || fail "4: the account of $ICCID_A is still there"
server s4
insert dm-b
wait_account yes && ok "4: swapped card ($ICCID_B): its account is there" || fail "4: no account from the swapped card"
wait_count "$D/device.jsonl" "sim.operator: ended" 3
[ "$(count "$D/device.jsonl" "sim.operator: ended normally")" = 3 ] ||
  fail "4: the swapped card's first session did not end normally"
verdict s4
audit "$WORK/a4"
[ "$(count "$WORK/a4" "BootstrapSourceGone ./DMAcc/simop .*no longer has $ICCID_A")" = 2 ] &&
  ok "4: the old card's account was removed again" || fail "4: BootstrapSourceGone rows for $ICCID_A: $(count "$WORK/a4" "no longer has $ICCID_A")"
grep -q "applied.*source $ICCID_B\|$ICCID_B.*applied\|Bootstrap ./DMAcc/simop" "$WORK/a4" || fail "4: no Bootstrap row"

# 4b/4c. Swaps with no wait between: the card out and the other in at once
# (both looks at the reader may see a card; pcsclite's event counter and
# the ICCID tell them apart).  Each must remove the old card's account
# (BootstrapSourceGone naming its ICCID) and apply the new card's
# (a Bootstrap row), in that order, and start the new account's session.
GONE="BootstrapSourceGone ./DMAcc/simop .*no longer has"
BOOT="allow bootstrap:sim-bootstrap/sim Bootstrap ./DMAcc/simop"
# swapped LABEL OLD_ICCID GONE_ROWS BOOT_ROWS SESSIONS: the audit reaches
# GONE_ROWS rows for OLD_ICCID and BOOT_ROWS Bootstrap rows (15 s), the
# Gone row before the last Bootstrap row, the account there, the session.
swapped() {
  local i
  for i in $(seq 1 150); do
    audit "$WORK/a-$1"
    [ "$(count "$WORK/a-$1" "$GONE $2")" -ge "$3" ] &&
      [ "$(count "$WORK/a-$1" "$BOOT")" -ge "$4" ] && break
    sleep 0.1
  done
  [ "$(count "$WORK/a-$1" "$GONE $2: removed")" = "$3" ] &&
    ok "$1: the old card's account was removed (audited)" ||
    { fail "$1: $(count "$WORK/a-$1" "$GONE $2") BootstrapSourceGone rows for $2, expected $3"; cat "$WORK/a-$1" >&2; }
  [ "$(count "$WORK/a-$1" "$BOOT")" = "$4" ] &&
    ok "$1: the new card's account was applied (audited)" ||
    { fail "$1: $(count "$WORK/a-$1" "$BOOT") Bootstrap rows, expected $4"; cat "$WORK/a-$1" >&2; }
  [ "$(grep -n -- "$GONE $2\|$BOOT" "$WORK/a-$1" | tail -2 | head -1 | grep -c "$GONE")" = 1 ] ||
    fail "$1: the new card's Bootstrap row is not after the old card's BootstrapSourceGone row"
  has_account || fail "$1: no account after the swap"
  wait_count "$D/device.jsonl" "sim.operator: ended" "$5"
  [ "$(count "$D/device.jsonl" "sim.operator: ended normally")" = "$5" ] ||
    fail "$1: the new card's first session did not end normally"
}
nboot=$(count "$WORK/a4" "$BOOT")
server s4b
kill "$V"; wait "$V" 2>/dev/null; V=""
insert dm
swapped "4b: fast swap" "$ICCID_B" 1 $((nboot + 1)) 4
verdict s4b
# The agent stopped (SIGSTOP: neither its loop nor its reader watch runs)
# while the card is swapped: it must see the swap when it runs again.
server s4c
kill -STOP "$A"
kill "$V"; wait "$V" 2>/dev/null; V=""
insert dm-b; wait_iccid "$ICCID_B"
kill -CONT "$A"
swapped "4c: swap while the agent is stopped" "$ICCID_A" 3 $((nboot + 2)) 5
verdict s4c
remove
wait_account no || fail "4: the account of $ICCID_B is still there after its removal"
stop_agent
for f in "$D/agent.err" "$D/device.jsonl" "$WORK/a4"; do
  grep -q "simclpw\|simsrvpw" "$f" && fail "a secret of the card's account is in $f"
done

# ---- 5: removed_source = keep ----------------------------------------------
D=$WORK/keep; mkdir -p "$D"
profile "$D/device.profile" bootstrap:unsigned_origins=factory,smartcard bootstrap:removed_source=keep
insert dm; wait_card
agent "$D"
wait_account yes || fail "5: no account from the card"
remove
wait_for "$D/agent.err" "bootstrap scan (a bootstrap source changed)" 100
sleep 0.5
has_account && ok "5: keep: the removed card's account stays" || fail "5: keep: the account was removed"
audit "$WORK/a5"
grep -q "BootstrapSourceGone ./DMAcc/simop .*no longer has $ICCID_A: kept" "$WORK/a5" &&
  ok "5: audited as kept" || { fail "5: no BootstrapSourceGone ... kept row"; cat "$WORK/a5" >&2; }
stop_agent

# ---- 6: disabled_origins = smartcard ----------------------------------------
D=$WORK/off; mkdir -p "$D"
profile "$D/device.profile" bootstrap:unsigned_origins=factory,smartcard bootstrap:disabled_origins=smartcard
insert dm; wait_card
seen=$(wc -l <"$WORK/vcard.log")
agent "$D"
sleep 1
remove
insert dm; wait_card
seen2=$(wc -l <"$WORK/vcard.log")
sleep 1
stop_agent
[ "$(tail -n +"$((seen + 1))" "$WORK/$CUR.trace" 2>/dev/null | grep -c '^>')" = 0 ] &&
  ok "6: disabled: no APDU from the agent at start-up" || fail "6: disabled: the agent talked to the card"
[ "$(tail -n +"$((seen2 + 1))" "$WORK/vcard.log" | grep -c '^>')" = 0 ] &&
  ok "6: disabled: none after an insertion either" || fail "6: disabled: the agent read the inserted card"
has_account && fail "6: disabled: an account was created"
audit "$WORK/a6"
[ "$(count "$WORK/a6" "BootstrapSourceDisabled")" = 1 ] && ok "6: one BootstrapSourceDisabled row" ||
  { fail "6: $(count "$WORK/a6" BootstrapSourceDisabled) BootstrapSourceDisabled rows, expected 1"; cat "$WORK/a6" >&2; }
remove

sim_finish
