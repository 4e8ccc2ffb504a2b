#!/usr/bin/env bash
# What the real card cannot show: a smart-card source the shipped profile
# does not load, added by an integrator (a reader driver of its own).
# The profile's own [bootstrap] keys must still decide: markets that
# disable smart-card bootstrap (disabled_origins = smartcard) never read
# it, and an unsigned card document from an origin unsigned_origins does
# not list is refused.  The engine's fixture fx-bootstrap stands for the
# driver: it declares origin smartcard and offers an unsigned OMA CP
# document (as card files are), read by the start-up scan (`polydm
# bootstrap --scan`).  gsm-operator, whose sim-bootstrap reads the real
# card (S2/card-at-start), takes it.
. "$SRC/tests/matrix/lib.sh"
mx_plugin_built fx-bootstrap || mx_outcome "not built (the fx-bootstrap fixture is not on the plugin path)"
"$SRV" --scenario "$E2E_SCN/bootstrap-cp.scn" --server-id card.server \
  --url https://127.0.0.1:9/card --account card --push-bootstrap generate:cp-xml \
  --doc-out "$T/card.xml" --no-send >"$T/gen.out" 2>&1 || { fail "generate"; show "$T/gen.out"; }
mx_device
mx_list card.server 'https://127.0.0.1:9/*'
cat >>"$DEV/device.profile" <<EOP

[plugin fx-bootstrap]
option.file = $T/card.xml
option.content_type = text/vnd.wap.connectivity-xml
option.origin = 2
option.declare = 2
EOP
"$PDM" "${P[@]}" bootstrap --scan >"$T/scan.out" 2>&1
rc=$?
cat "$T/scan.out"
"$PDM" "${P[@]}" audit >"$T/audit.txt" 2>&1
if account_of card.server; then mx_outcome allowed; fi
comp=$(mx_refusal "$T/scan.out")
[ -z "$comp" ] && comp=$(mx_refusal "$T/audit.txt")
# The core's own bootstrap keys decide: a source disabled by
# bootstrap.disabled_origins is never read (audited once); an unsigned
# document from an origin bootstrap.unsigned_origins does not list is
# refused (audited as the core's, Bootstrap deny).
if [ -z "$comp" ]; then
  if grep -q "BootstrapSourceDisabled" "$T/audit.txt"; then comp=core
  elif grep -q "1 refused" "$T/scan.out" && grep -q "bootstrap.unsigned_origins" "$T/scan.out"; then comp=core
  fi
fi
[ -n "$comp" ] || { fail "no account and no refusal (exit $rc)"; comp=?; }
mx_outcome "refused by $comp"
