# Checks shared by the CLI tests (sourced): each runs a command or looks
# at its output ($out) and counts failures in $fails.

# expect WANT_EXIT NAME CMD...: runs CMD (stdin /dev/null: nothing may wait
# for a terminal), keeps its stdout and stderr in $out.
expect() {
  local want=$1 name=$2; shift 2
  out=$("$@" 2>&1 </dev/null); local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: exit $got, expected $want"; echo "$out" | sed 's/^/    /'
    fails=$((fails+1)); return 1
  fi
  echo "ok   $name"
}
# contains NAME TEXT / lacks NAME TEXT: $out has / has not TEXT.
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
# same NAME TEXT: $out is exactly TEXT.
same() {
  if [ "$out" != "$2" ]; then
    echo "FAIL $1: output differs"; diff <(echo "$2") <(echo "$out") | sed 's/^/    /'
    fails=$((fails+1))
  fi
}
