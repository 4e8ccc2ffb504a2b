#!/bin/bash
# `polydm plugin check`: every broken fixture fails with exactly the rule it
# breaks (the JSON's failed rules), the shipped plugins and the
# hello-plugin example pass, and the command's usage and exit codes.
# Usage: plugin_check_test.sh POLYDM SRCDIR FIXTURE_DIR PLUGIN_DIR "PLUGINS"
set -u
polydm=$1 src=$2 fx=$3 plugdir=$4 plugins=$5
fails=0
. "$src/tests/cli/lib.sh"
unset POLYDM_PROFILE

# The failed rules of a --json report, sorted, one line.
failed_rules() {
  grep -o '"rule":"[^"]*","source":"[^"]*","result":"fail"' <<<"$1" |
    sed 's/"rule":"\([^"]*\)".*/\1/' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# Time limits far above what a case takes (milliseconds), so that a loaded
# machine never turns a slow case into a "hang"; only pc-hang waits for
# its limit, and it hangs whatever the limit.
slow=60000

# fixture NAME RULES... : pc-NAME.so fails exactly RULES (exit 1).
fixture() {
  local name=$1; shift
  local limit=$slow
  [ "$name" = hang ] && limit=3000
  local want; want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ' | sed 's/ $//')
  expect 1 "fixture $name fails" "$polydm" plugin check --json --timeout $limit \
    "$fx/pc-$name.so" || return
  local got; got=$(failed_rules "$out")
  if [ "$got" != "$want" ]; then
    echo "FAIL fixture $name: failed rules '$got', expected '$want'"
    echo "$out" | sed 's/^/    /'
    fails=$((fails+1))
  fi
}

fixture desc-size abi.descriptor
fixture reserved abi.reserved abi.loader
fixture overread abi.struct-size
fixture alloc-crash mem.alloc-failure
fixture init-leak lifecycle.failed-init
fixture option-silent options.malformed
fixture undeclared-option options.declared
fixture verdict-range policy.verdict
fixture deny-no-reason policy.verdict
fixture hang policy.verdict
fixture mo-leak mem.leak
fixture mo-foreign mem.ownership
fixture mo-odd-uri mo.odd-uri
fixture out-on-error mem.out-on-error
fixture boot-empty bootstrap.empty
fixture host-overread abi.host-size
fixture watch-leak bootstrap.watch-fd
fixture watch-closed bootstrap.watch-fd

# The details name what happened.
expect 1 "overread: the fault is named" "$polydm" plugin check --timeout $slow "$fx/pc-overread.so"
contains "overread detail" "crashed (signal"  # 11, or 6 where ASan aborts
contains "overread step" "check(GET, struct_size 88)"
expect 1 "hang: the timeout is named" "$polydm" plugin check --timeout 500 "$fx/pc-hang.so"
contains "hang detail" "no answer within 500 ms"
expect 1 "alloc-crash: the allocation is named" "$polydm" plugin check --timeout $slow "$fx/pc-alloc-crash.so"
contains "alloc-crash detail" "with allocation #1 refused: crashed (signal"
expect 1 "option-silent: the value is named" "$polydm" plugin check --timeout $slow "$fx/pc-option-silent.so"
contains "option-silent detail" "option.retries = 'chk-unknown-value' taken silently: the option is int"
expect 1 "mo-foreign detail" "$polydm" plugin check --timeout $slow "$fx/pc-mo-foreign.so"
contains "mo-foreign detail" "is not a block from host->alloc/strdup"
expect 1 "desc-size detail" "$polydm" plugin check --timeout $slow "$fx/pc-desc-size.so"
contains "desc-size detail" "struct_size is 80 bytes; ABI 1.4 defines 64"
expect 1 "host-overread detail" "$polydm" plugin check --timeout $slow "$fx/pc-host-overread.so"
contains "host-overread: the 1.2 table" "host table of ABI 1.2 (136 bytes)"
contains "host-overread: the fault" "crashed (signal"
expect 1 "watch-leak detail" "$polydm" plugin check --timeout $slow "$fx/pc-watch-leak.so"
contains "watch-leak: the descriptors named" "2 descriptor(s) opened since init still open after destroy and fini"
expect 1 "watch-closed detail" "$polydm" plugin check --timeout $slow "$fx/pc-watch-closed.so"
contains "watch-closed: named" "which is not an open descriptor"

# The shipped plugins pass: each with the options of the first shipped
# profile that configures it (enterprise-whitelist creates nothing
# without a whitelist), else none.
for p in $plugins; do
  [ -f "$plugdir/$p.so" ] || continue
  prof=$(grep -l "^\[plugin $p\]" "$src"/profiles/*.profile | head -1)
  expect 0 "shipped plugin $p passes" "$polydm" plugin check --timeout $slow \
    ${prof:+--profile "$prof"} "$plugdir/$p.so"
  lacks "$p: no failure" "FAIL "
done
expect 0 "hello-plugin example passes" "$polydm" plugin check --timeout $slow \
  --profile "$src/tests/plugin_check/hello.profile" "$fx/hello/hello-policy.so"
contains "hello: the verdicts were checked" "policy.verdict"
# The alias and the JSON summary.
expect 0 "plugins check alias" "$polydm" --json plugins check --timeout $slow \
  --profile "$src/tests/plugin_check/hello.profile" "$fx/hello/hello-policy.so"
contains "json: passed" '"passed":true'
contains "json: plugin" '"plugin":"hello-policy"'
# Without its required option the example cannot start: skipped, not failed.
expect 0 "hello without options: skipped checks" "$polydm" plugin check --timeout $slow \
  "$fx/hello/hello-policy.so"
contains "hello skip" "skip"

# Usage and input errors.
expect 2 "no module" "$polydm" plugin check
expect 2 "two modules" "$polydm" plugin check a.so b.so
expect 2 "unknown option" "$polydm" plugin check --bogus x.so
expect 2 "bad timeout" "$polydm" plugin check --timeout soon x.so
expect 3 "missing module" "$polydm" plugin check /nonexistent/x.so
expect 3 "profile without the plugin's section" "$polydm" plugin check \
  --profile "$src/tests/plugin_check/hello.profile" "$fx/pc-hang.so"
contains "section named" "has no [plugin pc-hang] section"
expect 0 "help" "$polydm" plugin check --help
contains "help: exit codes" "Exit 0 every rule passed"

echo "plugin_check: $fails failure(s)"
[ "$fails" = 0 ]
