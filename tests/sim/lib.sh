# Shared by the SIM tests (sim_stack.sh, sim_plugin.sh): the skip checks,
# our own pcscd, card insertion/removal, and the trap that stops all of it.
# Source it after setting TEST (the name in messages) and READEF.
# Every test that sources it takes CTest's RESOURCE_LOCK pcscd.

SIM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3          # Debian's python: the card library is there
READER="Virtual PCD 00 00"  # the vpcd slot that listens on 127.0.0.1:35963

skip() { echo "$TEST: SKIPPED: $*" >&2; exit 77; }

# sim_missing: prints what the stack lacks on this machine (root, a
# package) and returns 1; returns 0 when everything is installed.  Also
# used by the profile matrix's card cases (tests/matrix/lib.sh).
sim_missing() {
  [ "$(id -u)" -eq 0 ] || { echo "needs root (pcscd's /run/pcscd is fixed)"; return 1; }
  command -v pcscd >/dev/null || { echo "pcscd missing (scripts/setup-deps.sh installs it)"; return 1; }
  ls /usr/lib/pcsc/drivers/serial/libifdvpcd.so* >/dev/null 2>&1 ||
    { echo "vsmartcard-vpcd missing (scripts/setup-deps.sh installs it)"; return 1; }
  [ -x "$PY" ] || { echo "$PY missing"; return 1; }
  [ -d /usr/lib/python3/site-packages/virtualsmartcard ] ||
    { echo "python3-virtualsmartcard missing (vsmartcard-vpicc pulls it in)"; return 1; }
  "$PY" -c 'import Cryptodome' 2>/dev/null || { echo "python3-pycryptodome missing"; return 1; }
  return 0
}

# Exit 77 with the reason when the stack cannot run here.
sim_check() {
  local why
  why=$(sim_missing) || skip "$why"
  [ -n "$READEF" ] && [ -x "$READEF" ] ||
    skip "readef not built (libpcsclite-dev was missing when CMake configured)"
  sim_pcscd_running && skip "a pcscd (pid $pid) is already running; only one can run per machine"
  # On a systemd host pcscd.socket owns /run/pcscd/pcscd.comm (untested
  # with our own pcscd, virtual-sim.md): refuse rather than fight it.
  if command -v systemctl >/dev/null && systemctl is-active --quiet pcscd.socket 2>/dev/null; then
    skip "systemd's pcscd.socket is active; stop it (systemctl stop pcscd.socket) to run this test"
  fi
}

sim_pcscd_running() {
  pid=$(cat /run/pcscd/pcscd.pid 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}
show_logs() {
  echo "--- card log" >&2; cat "$WORK/vcard.log" >&2
  echo "--- pcscd log (tail)" >&2; tail -20 "$WORK/pcscd.log" >&2
}

P=""; V=""; WORK=""
sim_cleanup() {
  # The card exits by itself when pcscd goes; kill it first anyway so a
  # failure in between cannot leave it behind.
  [ -n "$V" ] && kill "$V" 2>/dev/null; [ -n "$V" ] && wait "$V" 2>/dev/null
  [ -n "$P" ] && kill "$P" 2>/dev/null; [ -n "$P" ] && wait "$P" 2>/dev/null
  V=""; P=""
  [ -n "$WORK" ] && rm -rf "$WORK"
}

# The work dir, the card images ($WORK/cards) and pcscd, a direct child
# of this shell, waited for: an orphaned pcscd would block the next start.
# sim_start no-pcscd: pcscd is started later, with sim_pcscd.
sim_start() {
  WORK=$(mktemp -d "/tmp/$TEST.XXXXXX")
  trap sim_cleanup EXIT
  trap 'exit 130' INT TERM
  "$PY" "$SIM_HERE/mkcard" "$WORK/cards" || { echo "$TEST: mkcard failed" >&2; exit 1; }
  [ "${1:-}" = no-pcscd ] || sim_pcscd
}
sim_pcscd() {
  pcscd --foreground >"$WORK/pcscd.log" 2>&1 &
  P=$!
}

# insert NAME: start the card; remove: stop it and wait until the reader
# is empty, so the next card is a new insertion, not a stale "present".
insert() {
  CUR=$1
  "$PY" "$SIM_HERE/vcard.py" --trace "${CARDS:-$WORK/cards}/$1.json" >"$WORK/vcard.log" 2>&1 &
  V=$!
}
remove() {
  kill "$V" 2>/dev/null; wait "$V" 2>/dev/null; V=""
  cp "$WORK/vcard.log" "$WORK/$CUR.trace"
  "$READEF" --reader "$READER" --wait 10000 absent ||
    { fail "reader still shows a card after the card process ended"; show_logs; }
}
# wait_card: until the reader has a card (readef reads it; exit 3 is its
# timeout, any other exit means the card was there).
wait_card() {
  "$READEF" --reader "$READER" --wait 10000 read >/dev/null 2>&1
  [ $? -ne 3 ] || { fail "$CUR: no card in the reader after 10 s"; show_logs; }
}

# wait_iccid ICCID: until readef reads card ICCID in the reader (10 s).
# After a swap with no wait between, wait_card could still meet the old
# card (pcscd notices a removal at its next presence poll).
wait_iccid() {
  local i
  for i in $(seq 1 100); do
    "$READEF" --reader "$READER" --wait 1000 read 2>/dev/null | grep -qx "iccid=$1" && return 0
    sleep 0.1
  done
  fail "$CUR: card $1 not read in the reader within 10 s"; show_logs
}

# Stop pcscd and check it is gone; then the verdict.
sim_finish() {
  kill "$P"; wait "$P"; local prc=$?; P=""
  [ "$prc" -eq 0 ] || fail "pcscd exited $prc on SIGTERM"
  sim_pcscd_running && fail "a pcscd (pid $pid) still runs after the test"
  if [ "$fails" -ne 0 ]; then
    echo "$TEST: $fails check(s) failed" >&2
    exit 1
  fi
  echo "$TEST: all checks passed"
  exit 0
}
