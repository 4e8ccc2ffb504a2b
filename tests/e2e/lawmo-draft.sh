# DRAFT end-to-end cases for lost-device-lock (issue 13).  NOT registered
# in CTest and not runnable on its own: these functions go into e2e.sh
# (they use its helpers: make_profile, profile_set, two_servers,
# again_with_nonce, start_agent...) once
#   - the core implements the ABI 1.4 host services (branch core13:
#     set_lock/get_lock, device_action, wipe_classes, factory_reset,
#     once_key), and
#   - the reference device (polydm session/agent) has a
#     pdm_device_hooks.action that does each action and records it in the
#     device-state file (issue 13 item 2).
# Then add to e2e.sh's case list:
#   lawmo_lock) lawmo_lock ;;            lawmo_nonowner) lawmo_nonowner ;;
#   lawmo_owner) lawmo_owner ;;          lawmo_locked_local) lawmo_locked_local ;;
#   lawmo_reset) lawmo_reset ;;          lawmo_kill9) lawmo_kill9 ;;
# and the names to _e2e_cases in tests/e2e/CMakeLists.txt.
#
# Every case loads the shipped open-market profile (lost-device-lock is in
# it) with test.server as the lock authority.

# lawmo_profile DIR [TREE]: the e2e device with test.server as the only
# server allowed to lock.
lawmo_profile() {
  make_profile "$1" "${2:-$TREE}"
  profile_set "$1" "plugin lost-device-lock" lock_authority test.server
}

# FullyLock, PartiallyLock, Wipe (nothing selected: 1406; then a selected
# class: 1201), a capability switched off, UnLock: each 202 and its
# OperationComplete alert in the same session (lawmo-lock.scn).  The lock
# is the core's stored fact (State, `polydm lock status`, the audit).
lawmo_lock() {
  start_server srv "$SCN/lawmo-lock.scn" || return
  lawmo_profile "$T/dev"
  "$PDM" "${P[@]}" session --server test.server \
    --device-state "$T/dev/device.jsonl" --trace "$T/dev/trace" \
    >"$T/dev/session.out" 2>&1 && ok "LAWMO session" ||
    { fail "LAWMO session"; show "$T/dev/session.out"; }
  wait_server srv
  expect_value ./LAWMO/State 30
  expect_value ./LAWMO/AvailableWipeList/1/ToBeWiped true
  expect_value ./LAWMO/Ext/Capabilities/Voice false
  expect_value ./LAWMO/LAWMOConfig/NotifyUser true
  # The device did each action (the exact record format is the reference
  # device's: adjust when it exists).
  expect_in "$T/dev/device.jsonl" "lock" "the device locked"
  expect_in "$T/dev/device.jsonl" "wipe" "the device wiped"
  expect_in "$T/dev/device.jsonl" "voice" "the device switched voice calls off"
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "DeviceLock" "the lock changes are audited"
  expect_in "$T/dev/audit.txt" "lost-device-lock" "the audit names the plugin"
  "$PDM" "${P[@]}" lock status >"$T/dev/lock.txt" 2>&1
  expect_in "$T/dev/lock.txt" "30" "lock status: unlocked"
}

# A server that is not the lock authority: 425 for each Exec and Replace,
# audited with the lock policy; nothing locked, no alert
# (lawmo-nonowner.scn).
lawmo_nonowner() {
  start_server srv "$SCN/lawmo-nonowner.scn" || return
  lawmo_profile "$T/dev"
  "$PDM" "${P[@]}" session --server hmac.server \
    --device-state "$T/dev/device.jsonl" >"$T/dev/session.out" 2>&1 &&
    ok "hmac.server's session" || { fail "hmac.server's session"; show "$T/dev/session.out"; }
  wait_server srv
  expect_value ./LAWMO/State 30
  expect_value ./LAWMO/AvailableWipeList/1/ToBeWiped false
  expect_value ./LAWMO/Ext/Capabilities/Data true
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "policy:lost-device-lock/lock" "the refusal is audited with the lock policy"
  expect_in "$T/dev/audit.txt" "is for the lock authority only" "the audit has the policy's reason"
  expect_not_in "$T/dev/device.jsonl" "lock" "the device was never asked to lock"
}

# The lock's result goes to the server that sent the Exec and no other,
# even when that server's session fails after the Exec and another
# server's session runs first (lawmo-owner-*.scn).  The device stays
# locked across all three sessions.
lawmo_owner() {
  two_servers lawmo-owner-a.scn lawmo-owner-b.scn || return
  lawmo_profile "$T/dev" "$T/tree-ab.xml"
  profile_set "$T/dev" transport timeout_ms 4000
  profile_set "$T/dev" transport retries 0
  "$PDM" "${P[@]}" -v session --server test.server --trace "$T/dev/trace" \
    >"$T/dev/a1.out" 2>&1 &&
    fail "test.server's first session succeeded" ||
    ok "test.server's first session failed after the Exec"
  expect_in "$T/dev/a1.out" "queued for test.server" "the lock's result is bound to test.server"
  expect_value ./LAWMO/State 10
  "$PDM" "${P[@]}" session --server hmac.server >"$T/dev/b.out" 2>&1 &&
    ok "hmac.server's session" || { fail "hmac.server's session"; show "$T/dev/b.out"; }
  SRV_PID=$PIDB wait_server srvb
  wait_server srva
  again_with_nonce lawmo-owner-a2.scn || return
  expect_not_in "$T/srvb.transcript" "urn:oma:at:lawmo:1.0:OperationComplete" \
    "hmac.server never saw test.server's result"
  expect_value ./LAWMO/State 10
}

# While locked, every local change is refused by the lock policy and
# audited with it: takeover, transfer, ACL edit, account delete, a local
# tree change, the local user's Exec of UnLock, a thief's USERPIN CP
# document.  A server's command still works (lawmo_owner shows it).
lawmo_locked_local() {
  start_server srv "$SCN/lawmo-owner-a.scn" || return
  lawmo_profile "$T/dev"
  profile_set "$T/dev" transport timeout_ms 4000
  profile_set "$T/dev" transport retries 0
  "$PDM" "${P[@]}" session --server test.server >"$T/dev/lock.out" 2>&1
  wait_server srv 1 # the scenario's second package times out on purpose
  expect_value ./LAWMO/State 10
  "$PDM" "${P[@]}" tree export -o "$T/before.xml" >/dev/null 2>&1
  local what
  for what in "takeover hmac.server --yes" \
              "transfer --from test.server --to hmac.server --yes" \
              "acl set ./Vendor Get=* --yes" \
              "account delete hmac.server --yes"; do
    # shellcheck disable=SC2086
    "$PDM" "${P[@]}" $what >"$T/local.out" 2>&1 &&
      fail "locked: '$what' succeeded" || ok "locked: '$what' refused"
    expect_in "$T/local.out" "device locked: " "locked: '$what' names the lock"
  done
  # A local tree change (the CLI has no Exec: the local user cannot even
  # ask for UnLock; the policy would refuse it, see the unit tests).
  cat >"$T/thief.tnds.xml" <<'XML'
<MgmtTree xmlns="syncml:dmddf1.2"><VerDTD>1.2</VerDTD>
<Node><NodeName>Vendor</NodeName><Node><NodeName>Thief</NodeName>
<RTProperties><Format><chr/></Format></RTProperties><Value>x</Value></Node></Node>
</MgmtTree>
XML
  "$PDM" "${P[@]}" tree import "$T/thief.tnds.xml" >"$T/import.out" 2>&1 &&
    fail "locked: a local tree import succeeded" || ok "locked: local tree import refused"
  expect_in "$T/import.out" "device locked: " "locked: the import names the lock"
  # A thief's USERPIN CP document (a new server).
  wl_cp_doc "$T/thief.xml" thief.example http://127.0.0.1:9/dm
  local mac
  mac=$(python3 -c 'import hmac, hashlib, sys
print(hmac.new(b"1111", open(sys.argv[1], "rb").read(), hashlib.sha1).hexdigest().upper())' "$T/thief.xml")
  printf 'pin=1111\n' >"$T/pin.ui"
  "$PDM" "${P[@]}" bootstrap "$T/thief.xml" --sec USERPIN --mac "$mac" \
    --ui-script "$T/pin.ui" >"$T/thief.out" 2>&1 &&
    fail "the thief's USERPIN document was applied" || ok "USERPIN document refused"
  expect_in "$T/thief.out" "policy:lost-device-lock/lock" "the refusal names the lock policy"
  "$PDM" "${P[@]}" tree export -o "$T/after.xml" >/dev/null 2>&1
  cmp -s "$T/before.xml" "$T/after.xml" && ok "tree unchanged" ||
    fail "a refused local change changed the tree"
  "$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
  expect_in "$T/audit.txt" "policy:lost-device-lock/lock" "the refusals are audited with the lock policy"
  expect_value ./LAWMO/State 10
}

# FactoryReset: the result alert still goes out in the session; the reset
# runs when it ends: the node a server added is gone, the factory tree
# stays, the lock is gone (lawmo-reset.scn).
lawmo_reset() {
  start_server srv "$SCN/lawmo-reset.scn" || return
  lawmo_profile "$T/dev"
  "$PDM" "${P[@]}" session --server test.server \
    --device-state "$T/dev/device.jsonl" >"$T/dev/session.out" 2>&1 &&
    ok "FactoryReset session" || { fail "FactoryReset session"; show "$T/dev/session.out"; }
  wait_server srv
  expect_absent ./Vendor/Added
  expect_value ./Vendor/Color blue
  expect_value ./LAWMO/State 30
  "$PDM" "${P[@]}" audit >"$T/dev/audit.txt" 2>&1
  expect_in "$T/dev/audit.txt" "FactoryReset" "the reset is audited"
}

# kill -9 of the agent at points between the Exec and the alert (a bounded
# loop over delays): after every restart the device is locked and exactly
# one OperationComplete alert reaches test.server.  SKETCH: needs a
# scenario whose server triggers the session by package 0 (as
# agent_restart does), and a device action hook that can be slowed
# (e.g. a device-state option that sleeps in action()) so that the kill
# lands inside the operation; the loop below shows the checks.
lawmo_kill9() {
  local delay n
  for delay in 0 5 10 20 40 80; do
    T0=$T; T=$T/k$delay; mkdir -p "$T"
    lawmo_profile "$T/dev"
    # 1. start the test server with lawmo-owner-a2-style expectations
    #    (one generic-alert lock-7, then no-alert 1226) and the agent;
    # 2. push package 0; sleep "$delay" ms after the Exec's 202 is in the
    #    server transcript, then kill -9 "$AGENT_PID";
    # 3. restart the agent; it completes the pending record in create and
    #    the next session carries the alert once.
    expect_value ./LAWMO/State 10
    n=$(grep -c "urn:oma:at:lawmo:1.0:OperationComplete" "$T"/*.transcript 2>/dev/null |
        awk -F: '{s += $2} END {print s + 0}')
    [ "$n" = 1 ] && ok "kill -9 after ${delay} ms: one alert" ||
      fail "kill -9 after ${delay} ms: $n alerts"
    T=$T0
  done
}
