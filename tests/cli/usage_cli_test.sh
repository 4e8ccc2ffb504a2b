#!/usr/bin/env bash
# The command line itself (issue 15 items 4-6): global options after the
# command, group and help commands, "did you mean", --json refused or
# honoured with {"ok":false,...} on every failure, null for absent fields,
# profile validation messages, hints that name the fix, and one message
# for an unreachable server.
# Usage: usage_cli_test.sh POLYDM SOURCE_DIR FIXTURE_DIR
set -u
PDM=$1 SRC=$2 FX=$3
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# split NAME WANT_EXIT CMD...: like expect, stdout in $out, stderr in $err.
split() {
  local name=$1 want=$2; shift 2
  out=$("$@" 2>"$tmp/err" </dev/null); local got=$?
  err=$(cat "$tmp/err")
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: exit $got, expected $want"; echo "$out" "$err" | sed 's/^/    /'
    fails=$((fails+1)); return 1
  fi
  echo "ok   $name"
}
# json NAME PY: $out is one JSON document and the Python expression PY
# (over d) holds.
json() {
  if ! python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); sys.exit(0 if ('"$2"') else 1)' <<<"$out"; then
    echo "FAIL $1: JSON check failed: $2"; echo "$out" | sed 's/^/    /'; fails=$((fails+1))
  fi
}
errhas() {
  if ! grep -qF -- "$2" <<<"$err"; then
    echo "FAIL $1: stderr lacks: $2"; echo "$err" | sed 's/^/    /'; fails=$((fails+1))
  fi
}

awk -v f="$SRC/tests/data/factory-test.tnds.xml" \
  '/^\[profile\]/ {print; print "factory_tree = " f; next} {print}' \
  "$SRC/profiles/open-market.profile" > "$tmp/q.profile"
P=(--profile "$tmp/q.profile" --state "$tmp/st")
"$PDM" "${P[@]}" bootstrap --scan >/dev/null 2>&1 # the store

# ---- global options after the command ----
split "globals after the command" 0 "$PDM" tree get ./Vendor/Color "${P[@]}"
same "globals after: value" "blue"
split "--opt=value after the command" 0 "$PDM" tree get ./Vendor/Color --profile="$tmp/q.profile" --state="$tmp/st" --json
json "--json after the command" 'd["value"] == "blue"'
split "-- ends the global options" 2 "$PDM" "${P[@]}" tree get ./Vendor/Color -- --json
errhas "-- keeps --json an operand" "expected one URI"
split "global option needs a value" 2 "$PDM" tree get ./Vendor/Color --profile
errhas "needs a value" "option '--profile' needs a value"

# ---- groups, help, did you mean ----
split "polydm tree" 2 "$PDM" tree
errhas "tree lists get" "tree get"
errhas "tree lists show" "tree show"
errhas "tree needs a subcommand" "tree: a subcommand is needed"
split "polydm tree --help" 0 "$PDM" tree --help
contains "tree --help lists" "tree explain"
out="$out"; split "polydm help tree" 0 "$PDM" help tree
contains "help tree lists" "tree import"
split "polydm help tree get" 0 "$PDM" help tree get
contains "help tree get" "usage: polydm [global options] tree get URI"
split "polydm help bogus" 2 "$PDM" help bogus
errhas "help bogus" "unknown command 'bogus'"
split "misspelt command" 2 "$PDM" tre get
errhas "did you mean tree" "unknown command 'tre'; did you mean 'tree'?"
split "misspelt subcommand" 2 "$PDM" tree gte ./X
errhas "did you mean tree get" "did you mean 'tree get'?"
split "misspelt command, nothing close" 2 "$PDM" xyzzy
errhas "no suggestion" "unknown command 'xyzzy' (see polydm --help)"
split "misspelt global option" 2 "$PDM" --jsn tree get ./X
errhas "did you mean --json" "unknown option '--jsn'; did you mean '--json'?"
split "misspelt command option" 2 "$PDM" "${P[@]}" tree get --porp ACL ./Vendor
errhas "did you mean --prop" "tree get: unknown option '--porp'; did you mean '--prop'?"
split "misspelt option of a simple command" 2 "$PDM" "${P[@]}" tree list --hlep
errhas "did you mean --help" "did you mean '--help'?"

# ---- --json: refused by commands without JSON, an envelope on failure ----
for c in "tree export" "tree import x" "session" "replay x" "transcript x" "trigger" "alert"; do
  split "--json refused: $c" 2 "$PDM" "${P[@]}" --json $c
  json "--json refused: $c: envelope" 'd["ok"] is False and d["exit"] == 2 and "--json is not supported" in d["error"]'
  errhas "--json refused: $c: text" "--json is not supported"
done
split "--json failure envelope" 1 "$PDM" "${P[@]}" --json tree get ./Nope
json "envelope" 'd == {"ok": False, "error": d["error"], "exit": 1} and d["error"].startswith("get ./Nope: ")'
errhas "envelope: text on stderr too" "polydm: get ./Nope:"
split "--json usage error envelope" 2 "$PDM" --json bogus
json "usage envelope" 'd["ok"] is False and "unknown command" in d["error"]'
split "--json bad profile envelope" 3 "$PDM" --json --profile "$tmp/none.profile" --state "$tmp/st" tree get .
json "profile envelope" 'd["ok"] is False and d["exit"] == 3 and "cannot read profile" in d["error"]'
split "--json no agent" 1 "$PDM" "${P[@]}" --json status
json "status envelope" 'd["ok"] is False and "no agent is running" in d["error"]'
split "--json command with its own document" 3 "$PDM" --json profile check "$tmp/none.profile"
json "profile check: its document, no envelope" 'isinstance(d, list) and d[0]["ok"] is False'

# tree show and profile keys print JSON; absent fields are null, never "".
split "tree show --json" 0 "$PDM" "${P[@]}" --json tree show ./DMAcc/testsrv
json "tree show json" 'any(n["uri"] == "./DMAcc/testsrv/ServerID" and n["value"] == "test.server" for n in d)'
json "tree show secret" 'all(n["value"] is None and n["secret"] for n in d if n["uri"].endswith("AAuthSecret"))'
lacks "tree show json: no secret" "Cl1entS3cret"
json "tree show: no empty strings" 'all(v != "" for n in d for k, v in n.items() if k != "value")'
split "tree list --json" 0 "$PDM" "${P[@]}" --json tree list ./Vendor
json "inherited ACL is null" 'all(n["acl"] is None or n["acl"] != "" for n in d) and any(n["acl"] is None for n in d)'
split "tree explain --json" 0 "$PDM" "${P[@]}" --json tree explain --server test.server --op Get ./Vendor/Color
json "explain: no empty strings" 'all(v != "" for v in d.values())'
split "profile keys --json" 0 "$PDM" --json profile keys
json "profile keys json" 'any(k["key"] == "transport.pin.<ServerID>" for k in d) and any(k["key"] == "plugin.option.<key>" for k in d)'

# ---- profile keys and profiles/README.md: every key documented ----
"$PDM" profile keys | awk '{print $1}' > "$tmp/keys"
[ -s "$tmp/keys" ] || { echo "FAIL profile keys printed nothing"; fails=$((fails+1)); }
while read -r k; do
  case $k in
    plugin.*) want="\`${k#plugin.}" ;;
    *) want="\`$k\`" ;;
  esac
  grep -qF -- "$want" "$SRC/profiles/README.md" ||
    { echo "FAIL profiles/README.md does not document $k"; fails=$((fails+1)); }
done < "$tmp/keys"
for s in profile device session transport audit bootstrap; do
  grep -q "^#.*\`\[$s\]\`" "$SRC/profiles/README.md" ||
    { echo "FAIL profiles/README.md has no heading for [$s]"; fails=$((fails+1)); }
done
echo "ok   profile keys documented"

# ---- profile validation ----
printf '\xef\xbb\xbf[profile]\nid = bom\n[transport]\ntimeout_ms = 50\nretries = 6\ntimout_ms = 100\n[device]\nman = a\n[device]\nmod = b\n' > "$tmp/bad.profile"
split "profile check: transport keys" 3 "$PDM" profile check "$tmp/bad.profile"
errhas "timeout_ms unit and range" "bad.profile:4: error: timeout_ms: '50' is not a time in milliseconds (100..600000)"
errhas "retries range" "bad.profile:5: error: retries: '6' is not a number of retries in 0..5"
errhas "key did you mean" "bad.profile:6: error: unknown key 'timout_ms' in [transport]; did you mean 'timeout_ms'?"
errhas "second [device]" "bad.profile:9: error: duplicate section [device] (first at line 7)"
lacks "BOM accepted" "bad.profile:1:"
mkdir "$tmp/adir.profile"
split "profile check: missing file" 3 "$PDM" profile check "$tmp/none.profile"
split "profile check: a directory" 3 "$PDM" profile check "$tmp/adir.profile"
errhas "directory named" "is a directory"
split "--profile missing" 3 "$PDM" --profile "$tmp/none.profile" --state "$tmp/st" tree get .
split "--profile a directory" 3 "$PDM" --profile "$tmp/adir.profile" --state "$tmp/st" tree get .
lacks "no doubled error prefix" "error: $tmp"
if grep -q "error:.*error:" <<<"$err"; then
  echo "FAIL doubled error prefix: $err"; fails=$((fails+1))
fi

# ---- hints that name the fix ----
printf '[profile]\nid = h\n[plugin no-such-plugin]\n' > "$tmp/np.profile"
split "plugin not found" 3 "$PDM" --profile "$tmp/np.profile" --state "$tmp/st" plugins list
errhas "plugin path hint" "--plugin-path DIR or POLYDM_PLUGIN_PATH"
split "module without entry symbol" 3 "$PDM" plugins inspect "$FX/fx-no-entry.so"
errhas "SDK flags hint" "pkg-config --cflags --libs polydm-sdk"
# The factory account's address is http://: the profile refuses it and
# names the key that would allow it.
split "plain http refused" 1 "$PDM" "${P[@]}" session --server test.server
errhas "allow_plain_http hint" "allow_plain_http = true in its [transport] section"

# ---- an unreachable server: said once; each retry at -v ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "s|http://127.0.0.1:18080/dm|http://127.0.0.1:$port/dm|" "$SRC/tests/data/factory-test.tnds.xml" > "$tmp/f2.xml"
awk -v f="$tmp/f2.xml" '/^\[profile\]/ {print; print "factory_tree = " f; next} {print}' \
  "$SRC/profiles/open-market.profile" > "$tmp/u.profile"
printf '\n[transport]\nallow_plain_http = true\nretries = 1\n' >> "$tmp/u.profile"
U=(--profile "$tmp/u.profile" --state "$tmp/su")
split "unreachable server" 1 "$PDM" "${U[@]}" session --server test.server
n=$(grep -c "server unreachable" <<<"$err")
[ "$n" = 1 ] && echo "ok   unreachable said once" ||
  { echo "FAIL unreachable said $n times"; echo "$err" | sed 's/^/    /'; fails=$((fails+1)); }
errhas "unreachable: the cause" "127.0.0.1:$port: connection refused (server unreachable); gave up after 2 attempts"
split "unreachable server -v" 1 "$PDM" -v "${U[@]}" session --server test.server
if ! grep -qE "attempt 1 failed \(http://127.0.0.1:$port: connection refused \(server unreachable\)\); next attempt in [0-9]+ ms, at [0-9]{2}:[0-9]{2}:[0-9]{2}Z" <<<"$err"; then
  echo "FAIL -v shows the retry and its time"; echo "$err" | sed 's/^/    /'; fails=$((fails+1))
fi

echo "usage cli: $fails failure(s)"
[ "$fails" -eq 0 ]
