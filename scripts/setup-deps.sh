#!/usr/bin/env bash
# Installs every Debian 12 package polydm's build, tests and demo need.
# Packages already present are skipped; nothing is installed when all are.
set -euo pipefail

PKGS=(
  cmake ninja-build pkg-config gcc g++ clang
  libxml2-dev libgnutls28-dev libcurl4-gnutls-dev libsqlite3-dev
  libcunit1-dev libmicrohttpd-dev
  libwbxml2-utils libxml2-utils gnutls-bin tshark binutils
  # The SIM test stack (tests/sim, /work/shared/notes/virtual-sim.md):
  # pcscd with the vpcd virtual reader, Debian's virtual card library
  # (python3-virtualsmartcard, pulled in by vsmartcard-vpicc), and
  # pycryptodome, which that library needs but does not declare.
  pcscd libpcsclite-dev vsmartcard-vpcd vsmartcard-vpicc python3-pycryptodome
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup-deps: need root to install: ${missing[*]}" >&2; exit 1; fi
fi
echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
