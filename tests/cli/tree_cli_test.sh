#!/usr/bin/env bash
# CLI tree, explain and audit commands against a real store with a factory
# tree; secrets never printed; store refusals give exit 4.
# Usage: tree_cli_test.sh POLYDM SOURCE_DIR
set -u
PDM=$1 SRC=$2
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
contains() {
  if ! grep -qF -- "$2" <<<"$out"; then
    echo "FAIL $1: output lacks: $2"; echo "$out" | sed 's/^/    /'; fails=$((fails+1))
  fi
}

# The shipped open-market profile plus a factory tree.
awk -v f="$SRC/tests/data/factory-test.tnds.xml" \
  '/^\[profile\]/ {print; print "factory_tree = " f; next} {print}' \
  "$SRC/profiles/open-market.profile" > "$tmp/q.profile"
P=(--profile "$tmp/q.profile" --state "$tmp/state")

expect 0 "get devid" "$PDM" "${P[@]}" tree get ./DevInfo/DevId
contains "devid" "IMEI:493005100592800"
expect 0 "list DMAcc account" "$PDM" "${P[@]}" tree list ./DMAcc/testsrv
contains "list" "ServerID"
expect 0 "get interior" "$PDM" "${P[@]}" tree get ./Vendor
contains "children" "Color"
expect 0 "get prop ACL" "$PDM" "${P[@]}" tree get ./Vendor --prop ACL
contains "acl" "Add=test.server&Get=*&Replace=test.server"
expect 1 "secret never shown" "$PDM" "${P[@]}" tree get ./DMAcc/testsrv/AppAuth/1/AAuthSecret
lacks "secret" "Cl1entS3cret"
contains "secret reason" "never leaves the device"
expect 0 "list StructData" "$PDM" "${P[@]}" tree get "./DMAcc/testsrv/AppAuth/1?list=StructData"
contains "structdata node" "./DMAcc/testsrv/AppAuth/1	node"
contains "structdata secret listed" "./DMAcc/testsrv/AppAuth/1/AAuthSecret	chr"
lacks "structdata secret value" "Cl1entS3cret"
expect 0 "list Struct json" "$PDM" "${P[@]}" --json tree get "./Vendor?list=Struct"
contains "struct json" '"uri":"./Vendor/Color"'
lacks "struct has no values" "blue"
expect 0 "tree show" "$PDM" "${P[@]}" tree show ./DMAcc/testsrv
contains "show secret redacted" "AAuthSecret = *****"
contains "show value" "ServerID = test.server"
lacks "show no secret 1" "Cl1entS3cret"
lacks "show no secret 2" "S3rverS3cret"
expect 0 "tree show leaf" "$PDM" "${P[@]}" tree show ./Vendor/Color
contains "show leaf" "  Color = blue"
expect 1 "tree show missing" "$PDM" "${P[@]}" tree show ./Nope
expect 0 "export redacts" "$PDM" "${P[@]}" tree export
lacks "export secret 1" "Cl1entS3cret"
lacks "export secret 2" "S3rverS3cret"
lacks "export secret 3" "bm9uY2U="
contains "export marker" "*****"
expect 0 "export wbxml" "$PDM" "${P[@]}" tree export ./Vendor --wbxml -o "$tmp/v.wbxml"
if command -v wbxml2xml >/dev/null; then
  expect 0 "wbxml2xml decodes export" wbxml2xml -o "$tmp/v.xml" "$tmp/v.wbxml"
  grep -q "blue" "$tmp/v.xml" || { echo "FAIL wbxml2xml content"; fails=$((fails+1)); }
fi
expect 0 "explain allow" "$PDM" "${P[@]}" tree explain --server test.server --op Replace ./Vendor/Color
contains "allow" "allow: test.server Replace ./Vendor/Color"
contains "entry" "entry:     Replace=test.server"
expect 1 "explain deny" "$PDM" "${P[@]}" tree explain --server rogue --op Replace ./Vendor/Color
contains "deny" "deny: rogue Replace ./Vendor/Color"
contains "deny node" "node:      ./Vendor"
expect 1 "explain leaf ACL rule" "$PDM" "${P[@]}" tree explain --server other.server --op Replace "./Vendor/Locked/Item?prop=ACL"
expect 0 "explain json" "$PDM" --json "${P[@]}" tree explain --server test.server --op Get ./Vendor/Color
contains "json allow" '"decision":"allow"'
expect 1 "explain json deny" "$PDM" --json "${P[@]}" tree explain --server test.server --op Get ./Vendor/Locked/Item
contains "json" '"decision":"deny"'

printf '<MgmtTree><Node><NodeName>New</NodeName><Value>n</Value></Node></MgmtTree>' > "$tmp/add.xml"
expect 0 "import" "$PDM" "${P[@]}" tree import "$tmp/add.xml" --target ./Vendor
expect 0 "imported value persists" "$PDM" "${P[@]}" tree get ./Vendor/New
contains "persist" "n"
expect 1 "import again: exists" "$PDM" "${P[@]}" tree import "$tmp/add.xml" --target ./Vendor
printf '<MgmtTree><Node><NodeName>x' > "$tmp/bad.xml"
expect 3 "import malformed" "$PDM" "${P[@]}" tree import "$tmp/bad.xml"
# Debug logging of a fresh store (factory import, exports, refusals) never
# shows a secret either.
expect 0 "verbose first open" "$PDM" -v -v --profile "$tmp/q.profile" --state "$tmp/state2" tree export
lacks "log secret 1" "Cl1entS3cret"
lacks "log secret 2" "S3rverS3cret"
expect 1 "verbose refused get" "$PDM" -v -v "${P[@]}" tree get ./DMAcc/testsrv/AppAuth/2/AAuthSecret
lacks "log secret 3" "S3rverS3cret"
expect 0 "audit" "$PDM" "${P[@]}" audit
contains "audit add" "Add"
lacks "audit secret" "Cl1entS3cret"
expect 0 "audit json since" "$PDM" --json "${P[@]}" audit --since 1h
contains "audit json" '"principal":"local"'
expect 2 "audit bad since" "$PDM" "${P[@]}" audit --since yesterday

# A foreign or damaged store is refused with exit 4 and never changed.
mkdir -p "$tmp/foreign"; echo "not a database at all, just text" > "$tmp/foreign/polydm.db"
sum1=$(sha256sum "$tmp/foreign/polydm.db")
expect 4 "foreign store" "$PDM" --profile "$tmp/q.profile" --state "$tmp/foreign" tree get ./DevInfo/DevId
sum2=$(sha256sum "$tmp/foreign/polydm.db")
[ "$sum1" = "$sum2" ] || { echo "FAIL foreign store modified"; fails=$((fails+1)); }

# Read commands open the store read-only (issue 15 item 3): a store the
# user may read but not write can be inspected; a command that writes
# fails with exit 4 and says why; nothing is created or changed.  Root
# bypasses file modes, so as root the commands run as nobody (setpriv) on
# a copy nobody owns with every write bit removed; without root the copy
# is ours with the write bits removed.
ro=$tmp/ro; mkdir -p "$ro"
cp "$tmp/q.profile" "$ro/q.profile"
"$PDM" "${P[@]}" audit >/dev/null 2>&1 # a store with rows
cp -a "$tmp/state" "$ro/state"
rm -f "$ro/state/agent.sock"
RUN=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  chown -R nobody: "$ro/state"
  chmod 755 "$tmp" "$ro"; chmod 644 "$ro/q.profile"
  RUN=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  "${RUN[@]}" "$PDM" --version >/dev/null 2>&1 || RUN=(skip)
fi
if [ "${RUN[0]:-}" = skip ]; then
  echo "SKIP read-only store: nobody cannot run $PDM from here"
else
  chmod -R a-w "$ro/state"
  R=(--profile "$ro/q.profile" --state "$ro/state")
  before=$(cd "$ro/state" && ls -la --time-style=+%s . audit 2>/dev/null; sha256sum polydm.db)
  expect 0 "ro: tree get" "${RUN[@]}" "$PDM" "${R[@]}" tree get ./Vendor/Color
  same "ro: tree get value" "blue"
  expect 0 "ro: tree list" "${RUN[@]}" "$PDM" "${R[@]}" tree list ./Vendor
  contains "ro: tree list" "Color"
  expect 0 "ro: tree show" "${RUN[@]}" "$PDM" "${R[@]}" tree show ./Vendor
  contains "ro: tree show" "Color = blue"
  expect 0 "ro: tree export" "${RUN[@]}" "$PDM" "${R[@]}" tree export ./Vendor
  contains "ro: tree export" "<NodeName>Color</NodeName>"
  expect 0 "ro: tree explain" "${RUN[@]}" "$PDM" "${R[@]}" tree explain --server test.server --op Replace ./Vendor/Color
  expect 0 "ro: audit" "${RUN[@]}" "$PDM" "${R[@]}" audit
  contains "ro: audit rows" "factory configuration"
  expect 0 "ro: audit --verify" "${RUN[@]}" "$PDM" "${R[@]}" audit --verify
  expect 0 "ro: lock status" "${RUN[@]}" "$PDM" "${R[@]}" lock status
  contains "ro: lock status" "level: none"
  expect 0 "ro: owner" "${RUN[@]}" "$PDM" "${R[@]}" owner
  expect 0 "ro: account list" "${RUN[@]}" "$PDM" "${R[@]}" account list
  contains "ro: account list" "test.server"
  expect 4 "ro: import refused" "${RUN[@]}" "$PDM" "${R[@]}" tree import "$tmp/add.xml" --target ./Vendor
  contains "ro: import says why" "the store is read-only for this user"
  lacks "ro: no sqlite jargon" "attempt to write a readonly database"
  after=$(cd "$ro/state" && ls -la --time-style=+%s . audit 2>/dev/null; sha256sum polydm.db)
  [ "$before" = "$after" ] || { echo "FAIL ro: the read-only store changed"; diff <(echo "$before") <(echo "$after"); fails=$((fails+1)); }
  # A state directory without a store that the user may not write: a
  # read shows what a new store would hold and creates nothing.
  mkdir "$ro/empty"
  [ "${RUN[0]:-}" ] && chown nobody: "$ro/empty"
  chmod 500 "$ro/empty"
  expect 0 "ro, no store: tree get" "${RUN[@]}" "$PDM" --profile "$ro/q.profile" --state "$ro/empty" tree get ./Vendor/Color
  same "ro, no store: value" "blue"
  [ -z "$(ls -A "$ro/empty")" ] || { echo "FAIL a read created files in $ro/empty"; fails=$((fails+1)); }
  chmod -R u+w "$ro/state" "$ro/empty"
fi

echo "tree cli: $fails failure(s)"
[ "$fails" -eq 0 ]
