#!/usr/bin/env bash
# The factory image has a connectivity MO ./ConnMO/inet; a DM-profile
# bootstrap (USERNETWPIN, the server on the whitelist where there is one)
# brings its own ConnMO also named "inet": it is renamed instead of
# overwriting the factory one, and the new account's PrefConRef follows
# the rename.
. "$SRC/tests/matrix/lib.sh"
sed 's#</MgmtTree>#  <Node><NodeName>ConnMO</NodeName>\
    <Node><NodeName>inet</NodeName>\
      <Node><NodeName>Addr</NodeName><Value>factory.example</Value></Node>\
    </Node>\
  </Node>\
</MgmtTree>#' "$MX_TREE" >"$T/tree-connmo.xml"
mx_device "$T/dev" "$T/tree-connmo.xml"
mx_list new.server 'https://127.0.0.1:9/*'
expect_value ./ConnMO/inet/Addr factory.example
printf 'pin=2468\n' >"$T/pin.ui"
mx_agent --ui-script "$T/pin.ui" || mx_outcome "agent did not start"
mx_push new.server --push-bootstrap generate:dm --connmo inet --sec USERNETWPIN --imsi "$MX_IMSI" --pin 2468
stop_agent
[ "$MX_SAW" = allowed ] || mx_outcome "$MX_SAW"
ref=$("$PDM" "${P[@]}" tree get "$ACC/PrefConRef" 2>&1)
echo "     PrefConRef: $ref"
case $ref in
./ConnMO/inet|./Inbox/*|"") fail "PrefConRef is '$ref', not the renamed ConnMO" ;;
*) ok "PrefConRef follows the rename to $ref" ;;
esac
expect_value "$ref/Addr" internet.example
expect_value ./ConnMO/inet/Addr factory.example
mx_outcome "$MX_SAW"
