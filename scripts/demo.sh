#!/usr/bin/env bash
# The README's main job: set up, build, and run polydm on the default
# (open-market) profile.  Grows into a full DM session against the bundled
# test server as the session engine lands.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$(nproc)" >/dev/null
export POLYDM_PLUGIN_PATH=$PWD/build/dev/plugins
PDM=build/dev/bin/polydm
PROFILE=profiles/open-market.profile

echo "== profiles (offline check)"
$PDM profile check profiles/*.profile
echo
echo "== plugins loaded by $PROFILE"
$PDM --profile "$PROFILE" plugins list
