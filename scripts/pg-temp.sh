#!/usr/bin/env bash
# pg-temp.sh start DIR [SETTING=VALUE ...]
#                       -> starts a throwaway PostgreSQL in DIR on a spare loopback port and
#                          prints its URL (postgres://wadesk@127.0.0.1:PORT/wadesk); each extra
#                          argument is one more server setting (shared_buffers=1GB).
# pg-temp.sh stop DIR   -> stops it and removes DIR.
# PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data dir}; shift 2
extra=""; for setting in "$@"; do extra+=" -c $setting"; done
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
         || shuf -i 20000-60000 -n 1)
  as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200$extra" \
    start >/dev/null
  as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE ROLE wadesk LOGIN SUPERUSER" >/dev/null
  as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE wadesk OWNER wadesk" >/dev/null
  echo "$port" >"$dir/port"
  echo "postgres://wadesk@127.0.0.1:$port/wadesk"
  ;;
stop)
  if [ -d "$dir/data" ]; then as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
