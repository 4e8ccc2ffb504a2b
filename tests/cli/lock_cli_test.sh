#!/usr/bin/env bash
# polydm lock status (text and --json): a fresh state directory (unlocked,
# LAWMO State 30, nothing set), then after the fx-lock fixture plugin set
# the lock (option lock_in_create = 2: its create() calls set_lock(FULL,
# "fx-server")), read back by a context whose profile sets nothing.  There
# is no unlock command.
# Usage: lock_cli_test.sh POLYDM SOURCE_DIR FIXTURE_DIR
set -u
PDM=$1 SRC=$2 FX=$3
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/lib.sh"
same() {
  if [ "$out" != "$2" ]; then
    echo "FAIL $1: output differs"; diff <(echo "$2") <(echo "$out") | sed 's/^/    /'
    fails=$((fails+1))
  fi
}

profile() { # FILE [LOCK_IN_CREATE]
  { printf '[profile]\nid = cli-lock\nfactory_tree = %s\n[plugin fx-lock]\n' \
      "$SRC/tests/engine/local.tnds.xml"
    [ -n "${2:-}" ] && printf 'option.lock_in_create = %s\n' "$2"; } > "$1"
}
profile "$tmp/p.profile"
profile "$tmp/lock.profile" 2
P=(--plugin-path "$FX" --profile "$tmp/p.profile" --state "$tmp/st")
L=(--plugin-path "$FX" --profile "$tmp/lock.profile" --state "$tmp/st")

expect 0 "help" "$PDM" lock status --help
contains "help no unlock" "There is no unlock command"
expect 2 "arguments" "$PDM" "${P[@]}" lock status now
expect 2 "no unlock command" "$PDM" "${P[@]}" unlock

expect 0 "fresh text" "$PDM" "${P[@]}" lock status
same "fresh text" "state: 30 (unlocked)
level: none
set by: server -, plugin -
since: never
factory reset pending: no
pending execs: none
queued alerts: 0"
expect 0 "fresh json" "$PDM" "${P[@]}" --json lock status
same "fresh json" '{"state":30,"state_text":"unlocked","level":"none","server_id":null,"plugin":null,"since":null,"reset_pending":false,"pending_execs":[],"queued_alerts":0}'

# The plugin sets the lock when a context opens the store read-write
# (`lock status` only reads: a command that writes); any later context
# reads it.
expect 0 "locking open" "$PDM" "${L[@]}" bootstrap --scan
expect 0 "locked text" "$PDM" "${P[@]}" lock status
since=$(sed -n 's/^since: //p' <<<"$out")
if ! [[ $since =~ ^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z$ ]]; then
  echo "FAIL locked since: '$since' is no ISO 8601 UTC time"; fails=$((fails+1))
fi
same "locked text" "state: 10 (fully locked)
level: full
set by: server fx-server, plugin fx-lock
since: $since
factory reset pending: no
pending execs: none
queued alerts: 0"
expect 0 "locked json" "$PDM" "${P[@]}" --json lock status
same "locked json" '{"state":10,"state_text":"fully locked","level":"full","server_id":"fx-server","plugin":"fx-lock","since":"'"$since"'","reset_pending":false,"pending_execs":[],"queued_alerts":0}'

[ "$fails" = 0 ] && echo "all passed" || echo "$fails failed"
exit $((fails > 0))
