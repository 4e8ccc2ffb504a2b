#!/usr/bin/env bash
# Smart-card bootstrap is optional: the profile loads and the device is
# bootstrapped over the air (USERNETWPIN CP push, the server on the
# whitelist where there is one) on a plugin path without the sim-bootstrap
# module.  In a static build that linked sim-bootstrap in, the module
# cannot be taken away: the case then checks the profile marks it optional.
# (lib.sh already gives every case a plugin path without sim-bootstrap:
# here the device must also load and work.)
. "$SRC/tests/matrix/lib.sh"
mx_device
if grep -q '^\[plugin sim-bootstrap\]' "$DEV/device.profile"; then
  python3 - "$DEV/device.profile" <<'PY'
import sys
f = sys.argv[1]; s = open(f).read()
i = s.index("[plugin sim-bootstrap]"); j = s.find("\n[", i + 1)
if "optional = true" not in s[i:j if j > 0 else len(s)]:
    print("FAIL: sim-bootstrap is not optional in the profile"); sys.exit(1)
PY
  [ $? = 0 ] || fail "sim-bootstrap must be optional"
fi
"$PDM" "${P[@]}" plugins list >"$T/plugins.txt" 2>&1 || { fail "the profile does not load"; show "$T/plugins.txt"; }
mx_list new.server 'https://127.0.0.1:9/*'
printf 'pin=2468\n' >"$T/pin.ui"
mx_agent --ui-script "$T/pin.ui" || mx_outcome "agent did not start"
mx_push new.server --sec USERNETWPIN --imsi "$MX_IMSI" --pin 2468
stop_agent
mx_outcome "$MX_SAW"
