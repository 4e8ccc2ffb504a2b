#!/usr/bin/env bash
# The README's test command: installs dependencies, then builds and tests
# with the "dev" and "asan" presets, and builds one static market preset
# and runs the profile matrix's column of that market against it.
# Usage: scripts/test.sh [ctest args...]   (e.g. -L unit)
set -euo pipefail
# Plugin modules that group or others can change are refused (loader
# StrictModes): whatever the caller's umask, build them 0755.
umask 022
cd "$(dirname "$0")/.."
scripts/setup-deps.sh

jobs=$(nproc)
for preset in dev asan; do
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: test" >&2
  ctest --preset "$preset" -j "$jobs" "$@"
done

# A firmware-style build: the profile's plugins linked into libpolydm.
echo "== gsm-operator (static plugins): build and smoke test" >&2
cmake --preset gsm-operator >/dev/null
cmake --build --preset gsm-operator -j "$jobs"
POLYDM_PLUGIN_PATH=/nonexistent build/gsm-operator/bin/polydm \
  --profile profiles/gsm-operator.profile plugins list
# The profile matrix's gsm-operator column against that static image
# (the module form ran as `ctest -L matrix` in dev): its own polydm, the
# test server of the dev build.  Under the pcscd lock: sim-bootstrap is
# linked in here and would read whatever card the SIM tests inserted.
echo "== gsm-operator (static plugins): the profile matrix" >&2
flock /tmp/pcscd.lock tests/matrix/run --build-dir build/gsm-operator \
  --testserver build/dev/bin/polydm-testserver --profile gsm-operator \
  --out build/gsm-operator/matrix -j "$jobs"
echo "== all tests passed" >&2
