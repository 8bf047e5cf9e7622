#!/usr/bin/env bash
# `make run`: starts build/wadesk serve on SQLite in ./data (after `make build`). The server
# prints where it listens and, while the database has no company, the exact command that creates
# the first one. Extra arguments go to `wadesk serve`; the knobs of docs/configuration.md
# (WADESK_LISTEN, DATABASE_URL, ...) apply as usual. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD:-build}/wadesk
[ -x "$bin" ] || { echo "run.sh: $bin is missing; run 'make build' first" >&2; exit 1; }
export WADESK_DATA_DIR=${WADESK_DATA_DIR:-$PWD/data}
echo "wadesk: starting $bin serve (data directory $WADESK_DATA_DIR unless --data says otherwise; Ctrl-C stops it)"
exec "$bin" serve "$@"
