#!/usr/bin/env bash
# CLI behaviour: exit codes, file:line diagnostics, help texts, inspect.
# Usage: cli_test.sh POLYDM SOURCE_DIR FIXTURE_DIR
set -u
PDM=$1 SRC=$2 FX=$3
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# expect CODE NAME CMD... : runs CMD, checks exit code, keeps output in $out
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

expect 0 "plugins list" "$PDM" --profile "$SRC/profiles/open-market.profile" plugins list
contains "list" "spec-authority"
expect 0 "plugins list --json" "$PDM" --json --profile "$SRC/profiles/open-market.profile" plugins list
contains "list json" '"kind":"authority"'
expect 3 "plugins list bad profile" "$PDM" --profile "$tmp/typo.profile" plugins list

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
expect 2 "alert with a newline" "$PDM" --state "$tmp/st" alert --type a --format chr --data "$(printf 'a\nb')"
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
