#!/usr/bin/env bash
# polydm owner | takeover | transfer | acl set | account list | account
# delete: what they print (text and --json), exit codes, the confirmation
# (--yes, a UI script, nobody to ask), refusals by the authority, a policy
# and the user (audited, nothing changed).  The factory tree is
# tests/engine/local.tnds.xml (srv-a, srv-b, srv-c); fx-local is the
# authority ("auth": takeover allowed) and the policy.
# Usage: owner_cli_test.sh POLYDM SOURCE_DIR FIXTURE_DIR
set -u
PDM=$1 SRC=$2 FX=$3
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/lib.sh"
contains() {
  if ! grep -qF -- "$2" <<<"$out"; then
    echo "FAIL $1: output lacks: $2"; echo "$out" | sed 's/^/    /'
    fails=$((fails+1))
  fi
}

profile() { # FILE AUTHORITY-COMPONENT TAKEOVER DENY
  cat > "$1" <<P
[profile]
id = cli-owner
factory_tree = $SRC/tests/engine/local.tnds.xml
authority = fx-local/$2
[plugin fx-local]
option.takeover = $3
option.deny = $4
P
}
profile "$tmp/p.profile" auth allow none
profile "$tmp/deny.profile" auth allow takeover
profile "$tmp/none.profile" auth-none allow none
P=(--plugin-path "$FX" --profile "$tmp/p.profile" --state "$tmp/st")
D=(--plugin-path "$FX" --profile "$tmp/deny.profile" --state "$tmp/st")
N=(--plugin-path "$FX" --profile "$tmp/none.profile" --state "$tmp/st")

# ---- usage ----
expect 0 "owner help" "$PDM" owner --help
contains "owner help" "usage: polydm [global options] owner"
expect 0 "takeover help" "$PDM" takeover --help
contains "takeover help confirm" "confirm=yes|no"
expect 2 "takeover no id" "$PDM" "${P[@]}" takeover
contains "takeover no id says" "takeover: expected one SERVERID"
expect 2 "takeover two ids" "$PDM" "${P[@]}" takeover srv-a srv-b --yes
expect 2 "takeover --from" "$PDM" "${P[@]}" takeover --from srv-a srv-b
expect 2 "transfer no --to" "$PDM" "${P[@]}" transfer --from srv-a --yes
contains "transfer usage says" "expected --from A --to B"
expect 2 "acl set one arg" "$PDM" "${P[@]}" acl set ./Vendor
expect 2 "account delete no id" "$PDM" "${P[@]}" account delete
expect 2 "owner extra" "$PDM" "${P[@]}" owner srv-a

# ---- the start: nobody owns root ----
expect 0 "owner" "$PDM" "${P[@]}" owner
contains "owner nobody" "root owner: nobody"
contains "owner srv-a" "srv-a	./DMAcc/a	origin factory, SEC none, source -"
contains "owner address" "  address: http://a.test/dm"
expect 0 "account list" "$PDM" "${P[@]}" account list
contains "list srv-c" "srv-c	./DMAcc/c	origin factory"
lacks "list no root owner" "root owner"

"$PDM" "${P[@]}" tree export . > "$tmp/before.xml" 2>/dev/null
# ---- refusals: nothing changes ----
expect 1 "nobody to confirm" "$PDM" "${P[@]}" takeover srv-a
contains "nobody says" "takeover refused by core: no way to ask the user (no ui hook): not done (cancelled)"
contains "nobody hint" "give --yes, or --ui-script FILE, or run it on a terminal"
printf 'confirm=no\n' > "$tmp/no.ui"
expect 1 "user says no" "$PDM" "${P[@]}" takeover srv-a --ui-script "$tmp/no.ui" \
  --device-state "$tmp/dev.log"
contains "user says no says" "takeover refused by user: the user declined: not done"
if grep -qF '"action":"ui","detail":"1101 from local: \"Make srv-a the owner' "$tmp/dev.log"
then echo "ok   device log names the question"
else echo "FAIL device log: $(cat "$tmp/dev.log")"; fails=$((fails+1)); fi
expect 1 "unknown id" "$PDM" "${P[@]}" takeover srv-zz --yes
contains "unknown id says" "no DM account has ServerID srv-zz"
expect 1 "policy denies" "$PDM" "${D[@]}" takeover srv-a --yes
contains "policy denies says" "takeover refused by policy:fx-local/deny: op=10 p=2 sid=srv-a"
expect 1 "authority without takeover" "$PDM" "${N[@]}" takeover srv-a --yes
contains "authority says" "takeover refused by authority:fx-local/auth-none"
expect 1 "bad ACL" "$PDM" "${P[@]}" acl set ./Vendor 'Get=' --yes
contains "bad ACL says" "bad ACL:"
expect 1 "json refusal" "$PDM" --json "${D[@]}" takeover srv-a --yes
contains "json refusal done" '"done":false'
contains "json refusal component" '"component":"policy:fx-local/deny"'
contains "json refusal rc" '"rc":"permission denied'
"$PDM" "${P[@]}" tree export . > "$tmp/after.xml" 2>/dev/null
if cmp -s "$tmp/before.xml" "$tmp/after.xml"; then echo "ok   tree unchanged"
else echo "FAIL tree changed by refusals"; diff "$tmp/before.xml" "$tmp/after.xml" | head; fails=$((fails+1)); fi

# ---- takeover ----
expect 0 "takeover --yes" "$PDM" "${P[@]}" takeover srv-a --yes
contains "takeover says" "done: root owner (none) -> srv-a; root ACL 'Add=*&Delete=srv-a&Exec=srv-a&Get=srv-a&Replace=srv-a'"
expect 0 "owner after" "$PDM" "${P[@]}" owner
contains "owner srv-a" "root owner: srv-a"
contains "owner srv-a line" "srv-a	./DMAcc/a	origin factory, SEC none, source -	root owner"
# on a terminal (script(1) gives it one): a y/N question, only y is yes
if command -v script >/dev/null 2>&1; then
  out=$(printf '\n' | script -qec "$PDM ${P[*]} takeover srv-b" /dev/null 2>&1)
  got=$?
  if [ "$got" = 1 ] && grep -qF "srv-a, the owner now, loses all its rights. [y/N]" <<<"$out" &&
     grep -qF "takeover refused by user: the user declined" <<<"$out"; then
    echo "ok   terminal: Enter is no"
  else
    echo "FAIL terminal: exit $got"; echo "$out" | sed 's/^/    /'; fails=$((fails+1))
  fi
else
  echo "skip terminal (no script(1))"
fi
printf 'confirm=yes\n' > "$tmp/yes.ui"
expect 0 "takeover scripted" "$PDM" --json "${P[@]}" takeover srv-b --ui-script "$tmp/yes.ui"
contains "json done" '"done":true'
contains "json summary" '"summary":"root owner srv-a -> srv-b;'
contains "json component" '"component":null'
contains "json root owner" '"root_owner":"srv-b"'
expect 0 "root ACL" "$PDM" "${P[@]}" tree get . --prop ACL
contains "root ACL value" "Add=*&Delete=srv-b&Exec=srv-b&Get=srv-b&Replace=srv-b"
expect 0 "srv-a scrubbed" "$PDM" "${P[@]}" tree get ./Vendor --prop ACL
contains "Vendor ACL" "Get=srv-b"
lacks "Vendor ACL no srv-a" "srv-a"

# ---- acl set ----
expect 0 "acl set" "$PDM" "${P[@]}" acl set ./Vendor/A 'Get=*&Replace=srv-a' --yes
contains "acl set says" "done: ACL of ./Vendor/A set to 'Get=*&Replace=srv-a' (was '')"
expect 0 "acl get" "$PDM" "${P[@]}" tree get ./Vendor/A --prop ACL
contains "acl value" "Get=*&Replace=srv-a"

# ---- transfer ----
expect 0 "transfer" "$PDM" --json "${P[@]}" transfer --from srv-b --to srv-c --yes
contains "transfer done" '"done":true'
contains "transfer summary" "management srv-b -> srv-c: "
contains "transfer root" '"root_owner":"srv-c"'
expect 0 "owner json" "$PDM" --json "${P[@]}" owner
contains "owner json root" '"root_owner":"srv-c"'
contains "owner json entry" '{"server_id":"srv-c","account":"./DMAcc/c","origin":"factory","sec":"none","source":null,"address":null,"owns_root":true,"subtrees":[]}'
lacks "srv-b gone" '"srv-b"'
expect 0 "transfer keep" "$PDM" "${P[@]}" transfer --from srv-a --to srv-c --keep-account --yes
contains "keep says" "./DMAcc/a kept without rights"

# ---- account list / delete ----
expect 0 "account list json" "$PDM" --json "${P[@]}" account list
contains "list json" '{"accounts":[{"server_id":"srv-a","account":"./DMAcc/a"'
expect 0 "account delete" "$PDM" "${P[@]}" account delete srv-a --yes
contains "delete says" "done: ./DMAcc/a (ServerID srv-a) deleted; scrubbed from 0 ACL(s)"
expect 0 "account list after" "$PDM" "${P[@]}" account list
lacks "srv-a gone" "srv-a"
contains "srv-c stays" "srv-c	./DMAcc/c"
expect 1 "delete again" "$PDM" "${P[@]}" account delete srv-a --yes

# ---- every operation left its audit row ----
expect 0 "audit" "$PDM" "${P[@]}" audit
contains "audit takeover" "Takeover"
contains "audit transfer" "Transfer"
contains "audit delete" "AccountDelete"
contains "audit acl" "./Vendor/A?prop=ACL"
contains "audit refusal" "policy:fx-local/deny"

if [ "$fails" -gt 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all passed"
