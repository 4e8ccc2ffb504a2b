#!/usr/bin/env bash
# A transfer interrupted by SIGKILL (issue 12, S12): `polydm transfer
# --from srv-a --to srv-b` is killed at a random moment, PDM_CRASH_KILLS
# times (default 30), each time on a copy of the same start.  Afterwards
# exactly one of them is in charge, never neither and never a mix:
#   srv-a: root owner srv-a, ./DMAcc/a there, the ACLs as at the start;
#   srv-b: root owner srv-b, ./DMAcc/a gone, every entry of srv-a is srv-b's.
# Usage: transfer_crash_test.sh POLYDM SOURCE_DIR FIXTURE_DIR
set -u
PDM=$1 SRC=$2 FX=$3
KILLS=${PDM_CRASH_KILLS:-30}
fails=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# The factory tree of the local tests plus MANY nodes that name srv-a, so
# that the transfer's one transaction is large (a wider window to land a
# kill in) and a partial write would show.
MANY=${PDM_CRASH_NODES:-1500}
{
  sed '/<\/MgmtTree>/d' "$SRC/tests/engine/local.tnds.xml"
  echo '  <Node><NodeName>Many</NodeName>'
  for i in $(seq 1 "$MANY"); do
    echo "    <Node><NodeName>n$i</NodeName><RTProperties><ACL>Get=srv-a&amp;Replace=srv-a+srv-c</ACL></RTProperties><Value>$i</Value></Node>"
  done
  echo '  </Node>'
  echo '</MgmtTree>'
} > "$tmp/factory.tnds.xml"

cat > "$tmp/p.profile" <<P
[profile]
id = transfer-crash
factory_tree = $tmp/factory.tnds.xml
authority = fx-local/auth
[plugin fx-local]
P
P=(--plugin-path "$FX" --profile "$tmp/p.profile")

# The start: srv-a owns root (Get/Replace/Delete/Exec) and ./Vendor/A.
"$PDM" "${P[@]}" --state "$tmp/start" takeover srv-a --yes >/dev/null 2>&1 &&
  "$PDM" "${P[@]}" --state "$tmp/start" acl set ./Vendor/Shared \
    'Get=*&Replace=srv-a+srv-c' --yes >/dev/null 2>&1 || {
  echo "FAIL cannot set up the start"; exit 1; }

# state DIR: prints "a" or "b" for a consistent state, else what is wrong.
state() {
  local d=$1 ro root vendor shared acc many na nb
  ro=$("$PDM" "${P[@]}" --state "$d" owner 2>&1 | sed -n 's/^root owner: //p')
  root=$("$PDM" "${P[@]}" --state "$d" tree get . --prop ACL 2>&1)
  vendor=$("$PDM" "${P[@]}" --state "$d" tree get ./Vendor --prop ACL 2>&1)
  shared=$("$PDM" "${P[@]}" --state "$d" tree get ./Vendor/Shared --prop ACL 2>&1)
  acc=$("$PDM" "${P[@]}" --state "$d" tree get ./DMAcc 2>&1 | paste -sd/)
  many=$("$PDM" "${P[@]}" --state "$d" tree export ./Many 2>&1)
  na=$(grep -c 'Get=srv-a&amp;Replace=srv-a+srv-c' <<<"$many")
  nb=$(grep -c 'Get=srv-b&amp;Replace=srv-b+srv-c' <<<"$many")
  if [ "$ro" = srv-a ] &&
     [ "$root" = 'Add=*&Delete=srv-a&Exec=srv-a&Get=srv-a&Replace=srv-a' ] &&
     [ "$vendor" = 'Get=srv-a+srv-b&Replace=srv-a' ] &&
     [ "$shared" = 'Get=*&Replace=srv-a+srv-c' ] && [ "$acc" = 'a/b/c' ] &&
     [ "$na" = "$MANY" ] && [ "$nb" = 0 ]; then
    echo a
  elif [ "$ro" = srv-b ] &&
     [ "$root" = 'Add=*&Delete=srv-b&Exec=srv-b&Get=srv-b&Replace=srv-b' ] &&
     [ "$vendor" = 'Get=srv-b&Replace=srv-b' ] &&
     [ "$shared" = 'Get=*&Replace=srv-b+srv-c' ] && [ "$acc" = 'b/c' ] &&
     [ "$na" = 0 ] && [ "$nb" = "$MANY" ]; then
    echo b
  else
    echo "root owner '$ro', root ACL '$root', Vendor '$vendor', Shared '$shared', DMAcc '$acc', ./Many: $na of srv-a, $nb of srv-b"
  fi
}

# How long one whole transfer takes (ms): the kills land in [0, 1.5 x].
cp -a "$tmp/start" "$tmp/t0"
t0=$(date +%s%N)
"$PDM" "${P[@]}" --state "$tmp/t0" transfer --from srv-a --to srv-b --yes >/dev/null 2>&1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -gt 0 ] || ms=1
s=$(state "$tmp/t0")
if [ "$s" = b ]; then echo "ok   uninterrupted transfer (${ms} ms): srv-b in charge"
else echo "FAIL uninterrupted transfer: $s"; fails=$((fails+1)); fi

seed=${PDM_CRASH_SEED:-$$}
RANDOM=$seed
na=0 nb=0
for i in $(seq 1 "$KILLS"); do
  rm -rf "$tmp/run"; cp -a "$tmp/start" "$tmp/run"
  delay=$(( RANDOM % (ms * 3 / 2 + 1) ))
  "$PDM" "${P[@]}" --state "$tmp/run" transfer --from srv-a --to srv-b --yes \
    >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  s=$(state "$tmp/run")
  case $s in
    a) na=$((na+1)) ;;
    b) nb=$((nb+1)) ;;
    *) echo "FAIL kill $i after ${delay} ms (seed $seed): $s"; fails=$((fails+1)) ;;
  esac
done
echo "ok   $KILLS kills (seed $seed): srv-a in charge $na times, srv-b $nb times"

if [ "$fails" -gt 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all passed"
