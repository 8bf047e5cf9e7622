#!/usr/bin/env bash
# Installs what building, running and testing wadesk needs on Debian 12, and nothing that is
# already there. Debian packages, then npm packages: the web console's UI library (Preact, htm)
# into web/node_modules, exactly as web/package-lock.json pins it (the build embeds it into the
# binary, so `make run` needs it too), and the tests' packages into tests/js/node_modules (see
# tests/js/package.json).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libpq-dev libsqlite3-dev libsodium-dev zlib1g-dev
  libprotobuf-dev protobuf-compiler libqrencode-dev libpng-dev
  libsignal-protocol-c-dev libspdlog-dev libfmt-dev libargon2-dev libicu-dev libgtest-dev
  postgresql sqlite3 wrk nodejs jq curl
)
if [ "${WADESK_WITH_FUZZ:-0}" = 1 ]; then packages+=(clang libclang-rt-14-dev); fi
# The console tests drive headless Chromium; a font keeps its text layout like a desktop's.
if [ "${WADESK_WITH_BROWSER:-0}" = 1 ]; then packages+=(chromium fonts-liberation); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then echo "need root to install packages" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v npm >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }

if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ "${WADESK_NPM:-1}" = 1 ] && [ -f tests/js/package.json ]; then
  if [ ! -d tests/js/node_modules ] || [ tests/js/package.json -nt tests/js/node_modules ]; then
    (cd tests/js && npm install --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
fi
