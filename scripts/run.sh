#!/usr/bin/env bash
# `make run`: starts build/wadesk serve on SQLite in ./data (after `make build`), prints where it
# listens and how to log in the first time. Extra arguments go to `wadesk serve`; the knobs of
# docs/configuration.md (WADESK_LISTEN, DATABASE_URL, ...) apply as usual. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
bin=$build/wadesk
[ -x "$bin" ] || { echo "run.sh: $bin is missing; run 'make build' first" >&2; exit 1; }
export WADESK_DATA_DIR=${WADESK_DATA_DIR:-$PWD/data}
mkdir -p "$WADESK_DATA_DIR"

echo "wadesk: data in $WADESK_DATA_DIR (${DATABASE_URL:-SQLite $WADESK_DATA_DIR/wadesk.db})"
echo "wadesk: first login: $bin company create --name 'My company' --admin-email admin@example.com \\"
echo "          --admin-password 'choose-a-long-password' --data $WADESK_DATA_DIR"
echo "        then POST /api/auth/login (README.md has the whole tour); Ctrl-C stops the server."
exec "$bin" serve "$@"
