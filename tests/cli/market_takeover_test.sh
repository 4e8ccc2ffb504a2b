#!/usr/bin/env bash
# The same request under the four shipped profiles (issue 12: the markets
# really differ): the user asks `polydm takeover srv-b` on a device whose
# factory tree has three accounts (tests/engine/local.tnds.xml) and
# confirms it.  cdma-3gpp2 lets the user move root (3gpp2-takeover, S3);
# gsm-operator refuses (operator-root: the operator owns the device);
# enterprise refuses (enterprise-whitelist: only the enterprise or a
# factory reset); open-market refuses (spec-authority has no takeover).
# Each refusal names its deciding component and changes nothing.
# Usage: market_takeover_test.sh POLYDM SOURCE_DIR
set -u
PDM=$1 SRC=$2
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'confirm=yes\n' >"$tmp/yes.ui"

run() { # run PROFILE WANT_EXIT COMPONENT OWNER_AFTER
  local p=$1 want=$2 comp=$3 owner=$4 f="$tmp/$1.profile" st="$tmp/$1.state" out got
  awk -v t="$SRC/tests/engine/local.tnds.xml" \
    '/^\[profile\]/ { print; print "factory_tree = " t; next } { print }' \
    "$SRC/profiles/$p.profile" >"$f"
  out=$("$PDM" --profile "$f" --state "$st" takeover srv-b --ui-script "$tmp/yes.ui" 2>&1 </dev/null)
  got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $p: takeover exit $got, expected $want"; echo "$out" | sed 's/^/    /'
    fails=$((fails + 1))
  else
    echo "ok   $p: takeover exit $got"
  fi
  if [ -n "$comp" ] && ! grep -qF -- "$comp" <<<"$out"; then
    echo "FAIL $p: the refusal does not name $comp"; echo "$out" | sed 's/^/    /'
    fails=$((fails + 1))
  fi
  out=$("$PDM" --profile "$f" --state "$st" owner 2>&1 | head -1)
  if [ "$out" != "root owner: $owner" ]; then
    echo "FAIL $p: after the request: '$out', expected root owner: $owner"
    fails=$((fails + 1))
  else
    echo "ok   $p: root owner: $owner"
  fi
  "$PDM" --profile "$f" --state "$st" audit >"$tmp/$p.audit" 2>&1
  if ! grep -q "local .*Takeover" "$tmp/$p.audit"; then
    echo "FAIL $p: no Takeover audit row"; sed 's/^/    /' "$tmp/$p.audit"
    fails=$((fails + 1))
  fi
}

run cdma-3gpp2 0 "" srv-b
run gsm-operator 1 "authority:operator-root/operator" nobody
run enterprise 1 "authority:enterprise-whitelist/authority" nobody
run open-market 1 "authority:spec-authority/spec" nobody

[ "$fails" -eq 0 ] && echo "market_takeover: all checks passed" && exit 0
echo "market_takeover: $fails failure(s)"; exit 1
