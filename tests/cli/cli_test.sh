#!/usr/bin/env bash
# CLI behaviour: exit codes, file:line diagnostics, help texts, inspect.
# Usage: cli_test.sh POLYDM SOURCE_DIR FIXTURE_DIR
set -u
PDM=$1 SRC=$2 FX=$3
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# expect CODE NAME CMD... : runs CMD, checks exit code, keeps output in $out
. "$(dirname "$0")/lib.sh"
contains() {
  if ! grep -qF -- "$2" <<<"$out"; then
    echo "FAIL $1: output lacks: $2"; echo "$out" | sed 's/^/    /'
    fails=$((fails+1))
  fi
}

# The state directory is created with its missing parents (a fresh
# account has no ~/.local/state), 0700 on the last part; XDG_STATE_HOME is
# honoured; an empty --state is a mistake, not the default.  (A command
# that writes creates it: `bootstrap --scan`; reads create nothing.)
expect 0 "state dir with missing parents" "$PDM" --profile "$SRC/profiles/open-market.profile" \
  --state "$tmp/fresh/a/b/state" bootstrap --scan
[ "$(stat -c %a "$tmp/fresh/a/b/state")" = 700 ] && echo "ok   state dir 0700" ||
  { echo "FAIL state dir mode $(stat -c %a "$tmp/fresh/a/b/state")"; fails=$((fails+1)); }
expect 0 "XDG_STATE_HOME" env -u POLYDM_STATE_DIR HOME="$tmp/nohome" \
  XDG_STATE_HOME="$tmp/xdg/state" "$PDM" --profile "$SRC/profiles/open-market.profile" \
  bootstrap --scan
[ -d "$tmp/xdg/state/polydm" ] && echo "ok   XDG_STATE_HOME/polydm made" ||
  { echo "FAIL no $tmp/xdg/state/polydm"; fails=$((fails+1)); }
expect 0 "fresh HOME" env -u POLYDM_STATE_DIR -u XDG_STATE_HOME HOME="$tmp/home2" \
  "$PDM" --profile "$SRC/profiles/open-market.profile" bootstrap --scan
[ -d "$tmp/home2/.local/state/polydm" ] && echo "ok   ~/.local/state/polydm made" ||
  { echo "FAIL no ~/.local/state/polydm"; fails=$((fails+1)); }
expect 2 "empty --state" "$PDM" --profile "$SRC/profiles/open-market.profile" --state "" tree get .
contains "empty --state says so" "--state needs a directory"

expect 0 "profile check shipped" "$PDM" profile check "$SRC"/profiles/*.profile
contains "shipped ok" "gsm-operator.profile: ok"

cat > "$tmp/typo.profile" <<'P'
[profile]
id = typo
[devise]
devid = x
[plugin spec-authority]
option.acount_rights = Get
P
expect 3 "profile check typo" "$PDM" profile check "$tmp/typo.profile"
contains "typo section" "$tmp/typo.profile:3: error: unknown section [devise]"
contains "typo option" "$tmp/typo.profile:6: error: unknown option 'option.acount_rights'"
expect 3 "profile check missing file" "$PDM" profile check "$tmp/none.profile"
expect 3 "profile check --json" "$PDM" --json profile check "$tmp/typo.profile"
contains "json" '"ok":false'
contains "json line" '"line":3'

# [device] values are DevInfo text in every session: a value that is not
# UTF-8 text (here Latin-1 and a terminal escape) is refused at load.
printf '[profile]\nid = t\n[device]\nman = Soci\xe9t\xe9\nmod = X\033[2J\n' >"$tmp/devinfo.profile"
expect 3 "profile check device values" "$PDM" profile check "$tmp/devinfo.profile"
contains "device.man not text" "$tmp/devinfo.profile:4: error: man: the value is not text: invalid UTF-8 or a control character at byte 5"
contains "device.mod not text" "$tmp/devinfo.profile:5: error: mod: the value is not text"
expect 3 "tree get with device values" "$PDM" --profile "$tmp/devinfo.profile" --state "$tmp/devinfo-st" tree get ./DevInfo/Man
contains "tree get names the line" "$tmp/devinfo.profile:4:"
printf '[profile]\nid = t\n[device]\nman = Soci\xc3\xa9t\xc3\xa9\n' >"$tmp/devinfo-ok.profile"
expect 0 "profile check UTF-8 device value" "$PDM" profile check "$tmp/devinfo-ok.profile"
# bootstrap.disabled_origins: origin names only (file:line on a bad one)
printf '[profile]\nid = t\n[bootstrap]\ndisabled_origins = push, sim\n' >"$tmp/disabled.profile"
expect 3 "profile check disabled_origins" "$PDM" profile check "$tmp/disabled.profile"
contains "disabled_origins line" "$tmp/disabled.profile:4: error: disabled_origins: 'push, sim' is not a comma list of factory, smartcard, push, file, user (or none)"
printf '[profile]\nid = t\n[bootstrap]\ndisabled_origins = push, smartcard\n' >"$tmp/disabled-ok.profile"
expect 0 "profile check disabled_origins ok" "$PDM" profile check "$tmp/disabled-ok.profile"
expect 0 "profile keys" "$PDM" profile keys
contains "profile keys disabled_origins" "bootstrap.disabled_origins"

expect 0 "plugins list" "$PDM" --profile "$SRC/profiles/open-market.profile" plugins list
contains "list" "spec-authority"
expect 0 "plugins list --json" "$PDM" --json --profile "$SRC/profiles/open-market.profile" plugins list
contains "list json" '"kind":"authority"'
expect 3 "plugins list bad profile" "$PDM" --profile "$tmp/typo.profile" plugins list

# Optional plugins (seed S14): one whose module is not installed is left
# out and shown as "optional, not installed"; a required one still fails.
cat > "$tmp/opt.profile" <<'P'
[profile]
id = opt
[plugin spec-authority]
[plugin no-such-plugin]
optional = true
P
expect 0 "profile check optional missing" "$PDM" profile check "$tmp/opt.profile"
contains "check optional ok" "opt.profile: ok (profile opt, 2 plugins)"
contains "check optional line" "opt.profile:5: plugin no-such-plugin: optional, not installed"
expect 0 "profile check optional --json" "$PDM" --json profile check "$tmp/opt.profile"
contains "check optional json ok" '"ok":true,"problems":[]'
contains "check optional json absent" '{"name":"no-such-plugin","line":4,"optional":true,"installed":false}'
contains "check optional json present" '{"name":"spec-authority","line":3,"optional":false,"installed":true}'
expect 0 "plugins list optional missing" "$PDM" -v --profile "$tmp/opt.profile" plugins list
contains "list optional header" "profile opt: 1 plugin, 1 optional not installed"
contains "list optional entry" "2. no-such-plugin  [optional, not installed]"
contains "list optional log" "plugin no-such-plugin: not installed (optional in $tmp/opt.profile:5)"
expect 0 "plugins list optional --json" "$PDM" --json --profile "$tmp/opt.profile" plugins list
contains "list optional json absent" '{"name":"no-such-plugin","version":null,"summary":null,"path":null,"optional":true,"installed":false,"components":[]}'
contains "list optional json present" '"optional":false,"installed":true,"components":[{"kind":"authority","name":"spec"}]'
sed '/^optional/d' "$tmp/opt.profile" > "$tmp/req.profile"
expect 3 "profile check required missing" "$PDM" profile check "$tmp/req.profile"
contains "required missing" "req.profile:4: error: unknown plugin 'no-such-plugin'"
expect 3 "plugins list required missing" "$PDM" --profile "$tmp/req.profile" plugins list

# The shipped gsm-operator profile names sim-bootstrap optional: it loads
# with the plugin (dev: PC/SC found) and without it (asan: PDM_WITH_PCSC=OFF),
# and a scan with no pcscd to talk to finds nothing, in both (S14).
gsm=$SRC/profiles/gsm-operator.profile
expect 0 "gsm-operator plugins list" "$PDM" --profile "$gsm" plugins list
contains "gsm-operator list" "profile gsm-operator:"
expect 0 "gsm-operator plugins list --json" "$PDM" --json --profile "$gsm" plugins list
expect 0 "gsm-operator profile check" "$PDM" profile check "$gsm"
if [ "${PDM_HAVE_SIM_BOOTSTRAP:-0}" = 1 ]; then
  expect 0 "gsm-operator plugins list (sim-bootstrap built)" "$PDM" --profile "$gsm" plugins list
  contains "gsm-operator sim loaded" "2. sim-bootstrap "
  contains "gsm-operator sim optional" ", optional]"
  lacks "gsm-operator sim not absent" "not installed"
else
  expect 0 "gsm-operator plugins list (no sim-bootstrap)" "$PDM" --profile "$gsm" plugins list
  contains "gsm-operator header" "profile gsm-operator: 4 plugins, 1 optional not installed"
  contains "gsm-operator sim absent" "2. sim-bootstrap  [optional, not installed]"
  expect 0 "gsm-operator plugins list --json (no sim-bootstrap)" "$PDM" --json --profile "$gsm" plugins list
  contains "gsm-operator json absent" '{"name":"sim-bootstrap","version":null,"summary":null,"path":null,"optional":true,"installed":false,"components":[]}'
  expect 0 "gsm-operator profile check (no sim-bootstrap)" "$PDM" profile check "$gsm"
  contains "gsm-operator check absent" ": plugin sim-bootstrap: optional, not installed"
fi
# No pcscd: libpcsclite is pointed at a socket nobody listens on, so a
# pcscd that another test started on this machine plays no part.
expect 0 "gsm-operator scan without a card" env PCSCLITE_CSOCK_NAME="$tmp/no-pcscd.comm" \
  timeout 60 "$PDM" --profile "$gsm" --state "$tmp/gsm-st" bootstrap --scan
contains "gsm-operator scan nothing" "scan: 0 applied, 0 refused"

if [ "${PDM_STATIC_PLUGINS:-0}" = 1 ]; then
  echo "skip inspect of shipped modules: plugins are linked statically"
else
  expect 0 "inspect" "$PDM" plugins inspect "$POLYDM_PLUGIN_PATH/spec-authority.so"
  contains "inspect name" "name:      spec-authority"
  contains "inspect comp" "component: authority spec"
fi
expect 3 "inspect bad major" "$PDM" plugins inspect "$FX/fx-bad-major.so"
contains "bad major" "major version differs"
expect 3 "inspect crash" "$PDM" plugins inspect "$FX/fx-entry-crash.so"
contains "crash" "plugin crashed while its descriptor was read"
expect 3 "inspect not a plugin" "$PDM" plugins inspect "$FX/fx-no-entry.so"
expect 3 "inspect missing" "$PDM" plugins inspect "$tmp/none.so"

# PDM_OPTION_SECRET: neither a secret option's default nor its value is
# ever printed (inspect, JSON, profile check).
expect 0 "inspect secret option" "$PDM" plugins inspect "$FX/fx-good.so"
contains "inspect secret flag" "option:    password (secret)  a secret"
lacks "inspect secret default" "default-pw-0d6e"
expect 0 "inspect secret --json" "$PDM" --json plugins inspect "$FX/fx-good.so"
contains "inspect secret json" '"key":"password","help":"a secret","default":null,"required":false,"secret":true'
lacks "inspect secret json default" "default-pw-0d6e"
cat > "$tmp/secret.profile" <<'P'
[profile]
id = secret
[plugin fx-good]
option.needed = yes
option.password = s3cr3t-value-6b2a
P
chmod 644 "$tmp/secret.profile"
expect 0 "profile check secret option" "$PDM" --plugin-path "$FX" profile check "$tmp/secret.profile"
contains "secret profile readable" "$tmp/secret.profile:5: warning: option.password of plugin 'fx-good' is a secret"
lacks "secret value not printed" "s3cr3t-value-6b2a"
expect 0 "profile check secret --json" "$PDM" --json --plugin-path "$FX" profile check "$tmp/secret.profile"
lacks "secret value not in json" "s3cr3t-value-6b2a"
chmod 600 "$tmp/secret.profile"
expect 0 "profile check secret 600" "$PDM" --plugin-path "$FX" profile check "$tmp/secret.profile"
lacks "no warning at 600" "is a secret"
# Plugin files: a module or directory others can change is refused (a
# developer's profile may relax it), and inspect / profile check never run
# module code in polydm's own process (ELF constructors run in a child).
mkdir -p "$tmp/mods"; chmod 755 "$tmp/mods"
cp "$FX/fx-plain.so" "$tmp/mods/"; chmod 664 "$tmp/mods/fx-plain.so"
expect 3 "inspect group-writable module" "$PDM" plugins inspect "$tmp/mods/fx-plain.so"
contains "g+w module" "is writable by its group (mode 0664)"
contains "g+w module hint" "plugin_strict_modes = false"
chmod 644 "$tmp/mods/fx-plain.so"; chmod 777 "$tmp/mods"
expect 3 "inspect world-writable dir" "$PDM" plugins inspect "$tmp/mods/fx-plain.so"
contains "o+w dir" "its directory $(realpath "$tmp/mods") is writable by group and others (mode 0777)"
chmod 755 "$tmp/mods"
expect 0 "inspect after chmod go-w" "$PDM" plugins inspect "$tmp/mods/fx-plain.so"
chmod 666 "$tmp/mods/fx-plain.so"
printf '[profile]\nid = dev\nplugin_strict_modes = false\n' >"$tmp/dev.profile"
expect 0 "inspect relaxed by the profile" "$PDM" --profile "$tmp/dev.profile" plugins inspect "$tmp/mods/fx-plain.so"
contains "relaxed warning" "warning: $tmp/mods/fx-plain.so: the module"
printf '[profile]\nid = t\n[plugin fx-plain]\npath = %s\n' "$tmp/mods/fx-plain.so" >"$tmp/mods.profile"
expect 3 "profile check group-writable module" "$PDM" profile check "$tmp/mods.profile"
contains "check g+w" "$tmp/mods.profile:3: error: $tmp/mods/fx-plain.so: refused: the module"
# fx-ctor-marker's constructor writes the pid of the process it runs in.
for cmd in inspect check; do
  rm -f "$tmp/marker"
  printf '[profile]\nid = t\n[plugin fx-ctor-marker]\npath = %s\n' "$FX/fx-ctor-marker.so" >"$tmp/ctor.profile"
  if [ $cmd = inspect ]; then
    FX_MARKER=$tmp/marker "$PDM" plugins inspect "$FX/fx-ctor-marker.so" >/dev/null 2>&1 & pid=$!
  else
    FX_MARKER=$tmp/marker "$PDM" profile check "$tmp/ctor.profile" >/dev/null 2>&1 & pid=$!
  fi
  wait $pid; rc=$?
  mpid=$(cat "$tmp/marker" 2>/dev/null)
  if [ "$rc" = 0 ] && [ -n "$mpid" ] && [ "$mpid" != "$pid" ]; then
    echo "ok   $cmd: the module's constructor ran in another process ($mpid, not $pid)"
  else
    echo "FAIL $cmd: exit $rc, constructor ran in '$mpid' (polydm is $pid)"; fails=$((fails+1))
  fi
done
expect 3 "inspect: constructor aborts" "$PDM" plugins inspect "$FX/fx-ctor-abort.so"
contains "ctor abort" "plugin crashed while its descriptor was read (signal 6"
printf '[profile]\nid = t\n[plugin fx-ctor-abort]\npath = %s\n' "$FX/fx-ctor-abort.so" >"$tmp/abort.profile"
expect 3 "profile check: constructor aborts" "$PDM" profile check "$tmp/abort.profile"
contains "check ctor abort" "abort.profile:3: error: $FX/fx-ctor-abort.so: refused: the plugin crashed"

expect 2 "no command" "$PDM"
expect 2 "unknown command" "$PDM" frobnicate
expect 2 "bad global option" "$PDM" --frob plugins list
expect 2 "bad command option" "$PDM" plugins inspect --frob x.so
expect 0 "--help" "$PDM" --help
contains "help exit codes" "3 bad input file"
for c in "plugins list" "plugins inspect" "profile check" "profile keys"; do
  # shellcheck disable=SC2086
  expect 0 "$c --help" "$PDM" $c --help
  contains "$c usage" "usage: polydm [global options] $c"
done
expect 0 "version" "$PDM" --version

for c in "tree show" "transcript" "alert" "agent" "status" "trigger" "session" \
         "notify" "replay"; do
  # shellcheck disable=SC2086
  expect 0 "$c --help" "$PDM" $c --help
done
expect 2 "alert without type" "$PDM" --state "$tmp/st" alert --format chr
expect 2 "alert with a newline" "$PDM" --state "$tmp/st" alert --server s --type a --format chr --data "$(printf 'a\nb')"
expect 2 "alert without server" "$PDM" --state "$tmp/st" alert --type a --format chr
contains "alert without server" "--server, --type and --format are required"
expect 2 "transcript usage" "$PDM" transcript
expect 4 "transcript missing folder" "$PDM" transcript "$tmp/no-such-trace"
mkdir -p "$tmp/empty-trace"
expect 3 "transcript empty folder" "$PDM" transcript "$tmp/empty-trace"
contains "transcript empty" "holds no traced messages"
printf 'not xml' >"$tmp/empty-trace/01-server.xml"
expect 3 "transcript garbage" "$PDM" transcript "$tmp/empty-trace"
contains "transcript garbage names file" "01-server.xml"

echo "cli: $fails failure(s)"
[ "$fails" -eq 0 ]
