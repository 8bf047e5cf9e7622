#!/usr/bin/env bash
# make bench: runs the benchmarks against the binaries of BUILD_DIR (default build) and records
# their results in docs/benchmarks.md. Each benchmark is one function below; a throwaway
# PostgreSQL is started here for the PostgreSQL runs and stopped on exit.
#   scripts/run-bench.sh [BUILD_DIR] [SECTION...]     sections: http fanout walink receive history media groupsend (default: all)
# Knobs for the HTTP section (environment): WADESK_BENCH_BACKENDS (sqlite,postgres),
# WADESK_BENCH_SESSIONS (5), WADESK_BENCH_CHATS (2000), WADESK_BENCH_MESSAGES (1000000),
# WADESK_BENCH_DURATION (seconds per run, 15), WADESK_BENCH_RATE (paced target, 2000),
# WADESK_BIN / WADESK_SEED_BIN (binaries other than BUILD_DIR's).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
sections=("$@")
work=$(mktemp -d /tmp/wadesk-bench.XXXXXX)
chmod 755 "$work"
pg_started=0
cleanup() { if [ "$pg_started" = 1 ]; then scripts/pg-temp.sh stop "$work/pg"; fi; rm -rf "$work"; }
trap cleanup EXIT

pg_url() {  # starts the throwaway PostgreSQL once, prints its URL
  if [ "$pg_started" = 0 ]; then
    # Sized as a database server is: the seeded tables and indexes (~750 MB) fit in its buffers.
    # (PostgreSQL's 128 MB default is meant for tiny machines; its guidance is ~25 % of RAM.)
    WADESK_BENCH_PG_URL=$(scripts/pg-temp.sh start "$work/pg" shared_buffers=1GB)
    WADESK_BENCH_PG_DIR="$work/pg"
    export WADESK_BENCH_PG_URL WADESK_BENCH_PG_DIR
    pg_started=1
  fi
}

want() {  # want SECTION: true when SECTION runs
  [ ${#sections[@]} -eq 0 ] && return 0
  local s; for s in "${sections[@]}"; do [ "$s" = "$1" ] && return 0; done
  return 1
}

# REST read path: chats, messages, deep page and before-cursor listings under wrk, per backend.
bench_http() {
  local backends=${WADESK_BENCH_BACKENDS:-sqlite,postgres}
  local results=() backend out
  for backend in ${backends//,/ }; do
    if [ "$backend" = postgres ]; then pg_url; fi
    out="$work/http-$backend.json"
    echo "=== HTTP benchmark on $backend" >&2
    node bench/http/http-bench.mjs --build "$build" --backend "$backend" \
      --sessions "${WADESK_BENCH_SESSIONS:-5}" --chats "${WADESK_BENCH_CHATS:-2000}" \
      --messages "${WADESK_BENCH_MESSAGES:-1000000}" --duration "${WADESK_BENCH_DURATION:-15}" \
      --rate "${WADESK_BENCH_RATE:-2000}" >"$out"
    results+=("$out")
  done
  local cmd="scripts/run-bench.sh $build http"
  if [ -n "${WADESK_BIN:-}" ]; then cmd="WADESK_BIN=$WADESK_BIN $cmd"; fi
  if [ -n "${WADESK_BENCH_DURATION:-}" ]; then cmd="WADESK_BENCH_DURATION=$WADESK_BENCH_DURATION $cmd"; fi
  node bench/http/report.mjs docs/benchmarks.md "$cmd" "${results[@]}"
}

# Socket.IO fan-out: wadesk's realtime stack and a reference socket.io@4 Node server under the
# same load (bench/fanout/). Knobs: WADESK_FANOUT_CLIENTS (2000), WADESK_FANOUT_SESSIONS (20),
# WADESK_FANOUT_RATE (2000 events/s), WADESK_FANOUT_DURATION (30 s), WADESK_FANOUT_WORKERS (2),
# WADESK_FANOUT_CLIENT (native | lean | official socket.io-client), WADESK_FANOUT_DRAIN (10 s at most),
# WADESK_FANOUT_IO_THREADS (wadesk's I/O threads, 0 = one per hardware thread),
# WADESK_FANOUT_COALESCE_MS (wadesk's write coalescing interval; unset = the product default).
bench_fanout() {
  local results=() kind out
  for kind in wadesk reference; do
    out="$work/fanout-$kind.json"
    echo "=== fan-out benchmark: $kind" >&2
    node bench/fanout/fanout-bench.mjs --server "$kind" --build "$build" \
      --clients "${WADESK_FANOUT_CLIENTS:-2000}" --sessions "${WADESK_FANOUT_SESSIONS:-20}" \
      --rate "${WADESK_FANOUT_RATE:-2000}" --duration "${WADESK_FANOUT_DURATION:-30}" \
      --workers "${WADESK_FANOUT_WORKERS:-2}" --client "${WADESK_FANOUT_CLIENT:-native}" \
      ${WADESK_FANOUT_COALESCE_MS:+--coalesce-ms "$WADESK_FANOUT_COALESCE_MS"} \
      --drain "${WADESK_FANOUT_DRAIN:-10}" --io-threads "${WADESK_FANOUT_IO_THREADS:-0}" >"$out"
    results+=("$out")
  done
  # The machine's floor: plain loopback TCP, one write per event (events/s × clients/sessions
  # writes/s) and one write per 4 events, 130-byte events.
  local clients=${WADESK_FANOUT_CLIENTS:-2000} per_client=$(( ${WADESK_FANOUT_RATE:-2000} / ${WADESK_FANOUT_SESSIONS:-20} ))
  local batch
  for batch in 1 4; do
    out="$work/fanout-floor-$batch.json"
    echo "=== loopback floor: $batch event(s) per write" >&2
    "$build/wadesk-bench-loopback-floor" --connections "$clients" --rate $(( per_client / batch )) \
      --seconds 10 --bytes $(( 130 * batch )) >"$out"
    results+=("$out")
  done
  node bench/fanout/report.mjs docs/benchmarks.md "make bench (scripts/run-bench.sh $build fanout)" "${results[@]}"
}

# WhatsApp link: N sessions of wadesk serve linked through wadesk-sim (RSS per idle linked session,
# reconnect time of all N after a restart) and M Baileys sockets in one Node process against the
# same emulator (bench/walink/). Knobs: WADESK_WALINK_SESSIONS (1000), WADESK_WALINK_BAILEYS (100),
# WADESK_WALINK_CONCURRENCY (50), WADESK_WALINK_SETTLE (idle seconds before reading RSS, 10).
bench_walink() {
  local out="$work/walink.json"
  echo "=== WhatsApp link benchmark" >&2
  node bench/walink/walink-bench.mjs --build "$build" --sessions "${WADESK_WALINK_SESSIONS:-1000}" \
    --baileys "${WADESK_WALINK_BAILEYS:-100}" --concurrency "${WADESK_WALINK_CONCURRENCY:-50}" \
    --settle "${WADESK_WALINK_SETTLE:-10}" >"$out"
  local cmd="scripts/run-bench.sh $build walink"
  if [ -n "${WADESK_WALINK_SESSIONS:-}" ]; then cmd="WADESK_WALINK_SESSIONS=$WADESK_WALINK_SESSIONS $cmd"; fi
  if [ -n "${WADESK_WALINK_BAILEYS:-}" ]; then cmd="WADESK_WALINK_BAILEYS=$WADESK_WALINK_BAILEYS $cmd"; fi
  node bench/walink/report.mjs docs/benchmarks.md "$cmd" "$out"
}

# WhatsApp receive pipeline (bench/receive/): emulated phones send Signal-encrypted texts to N
# linked sessions of wadesk serve, on SQLite and on PostgreSQL: committed/s at the asked rate,
# send → Socket.IO event latency at a paced rate, the idle session's ping round trip during both,
# CPU per message of wadesk, the emulator and PostgreSQL; then M Baileys sockets in one Node
# process at the same rate per session. Knobs: WADESK_RECEIVE_SESSIONS (1000), WADESK_RECEIVE_RATE
# (texts/s asked in the max phase, 5000), WADESK_RECEIVE_MAX_DURATION (s, 8),
# WADESK_RECEIVE_PACED_RATE (texts/s of the paced phase; unset = half the measured max),
# WADESK_RECEIVE_DURATION (s of the paced phase, 20), WADESK_RECEIVE_CONTACTS (20),
# WADESK_RECEIVE_BAILEYS (100), WADESK_RECEIVE_BACKENDS (sqlite,postgres).
bench_receive() {
  local out="$work/receive.json" backends=${WADESK_RECEIVE_BACKENDS:-sqlite,postgres}
  if [[ ,$backends, == *,postgres,* ]]; then pg_url; fi
  echo "=== WhatsApp receive benchmark" >&2
  node bench/receive/receive-bench.mjs --build "$build" --backends "$backends" \
    --sessions "${WADESK_RECEIVE_SESSIONS:-1000}" --rate "${WADESK_RECEIVE_RATE:-5000}" \
    --max-duration "${WADESK_RECEIVE_MAX_DURATION:-8}" --paced-rate "${WADESK_RECEIVE_PACED_RATE:-0}" \
    --duration "${WADESK_RECEIVE_DURATION:-20}" --contacts "${WADESK_RECEIVE_CONTACTS:-20}" \
    --baileys "${WADESK_RECEIVE_BAILEYS:-100}" >"$out"
  local cmd="scripts/run-bench.sh $build receive" knob
  for knob in WADESK_RECEIVE_BACKENDS WADESK_RECEIVE_BAILEYS WADESK_RECEIVE_CONTACTS WADESK_RECEIVE_DURATION \
              WADESK_RECEIVE_MAX_DURATION WADESK_RECEIVE_PACED_RATE WADESK_RECEIVE_RATE WADESK_RECEIVE_SESSIONS; do
    if [ -n "${!knob:-}" ]; then cmd="$knob=${!knob} $cmd"; fi
  done
  node bench/receive/report.mjs docs/benchmarks.md "$cmd" "$out"
}

# History import (issue 12): 50,000 messages in 500 chats through HistoryImporter + WadeskService +
# Repository, per backend, with live traffic of another session beside it (bench/history/).
# Knobs: WADESK_HISTORY_BACKENDS (sqlite,postgres), WADESK_HISTORY_CHATS (500), WADESK_HISTORY_MESSAGES (50000).
bench_history() {
  local backends=${WADESK_HISTORY_BACKENDS:-sqlite,postgres}
  local results=() backend out db
  for backend in ${backends//,/ }; do
    if [ "$backend" = postgres ]; then pg_url; db=$WADESK_BENCH_PG_URL; else db="sqlite://$work/history.db"; fi
    out="$work/history-$backend.json"
    echo "=== history import benchmark on $backend" >&2
    "$build/wadesk-bench-history" --db "$db" --chats "${WADESK_HISTORY_CHATS:-500}" \
      --messages "${WADESK_HISTORY_MESSAGES:-50000}" >"$out"
    results+=("$out")
  done
  node bench/history/report.mjs docs/benchmarks.md "scripts/run-bench.sh $build history" "${results[@]}"
}

# Media download path (bench/media/): decrypt + verify throughput per core against an
# AES-256-CBC + HMAC-SHA256 floor measured in the same run. Knobs: WADESK_MEDIA_BENCH_MIB (16),
# WADESK_MEDIA_BENCH_SECONDS (3).
bench_media() {
  local out="$work/media.json"
  echo "=== media download benchmark" >&2
  "$build/wadesk-bench-media" --mib "${WADESK_MEDIA_BENCH_MIB:-16}" --seconds "${WADESK_MEDIA_BENCH_SECONDS:-3}" >"$out"
  node bench/media/report.mjs docs/benchmarks.md "scripts/run-bench.sh $build media" "$out"
}

# Sending to a large group (bench/groupsend/): wadesk serve and one Baileys socket send to the same
# group on wadesk-sim, whose emulated members have companion devices: time to the server's ack of
# the first send (sender key to every device) and of later sends, CPU per send. Knobs:
# WADESK_GROUPSEND_MEMBERS (256), WADESK_GROUPSEND_COMPANIONS (3), WADESK_GROUPSEND_SENDS (20).
bench_groupsend() {
  local out="$work/groupsend.json"
  echo "=== group send benchmark" >&2
  node bench/groupsend/groupsend-bench.mjs --build "$build" --members "${WADESK_GROUPSEND_MEMBERS:-256}" \
    --companions "${WADESK_GROUPSEND_COMPANIONS:-3}" --sends "${WADESK_GROUPSEND_SENDS:-20}" >"$out"
  local cmd="scripts/run-bench.sh $build groupsend" knob
  for knob in WADESK_GROUPSEND_MEMBERS WADESK_GROUPSEND_COMPANIONS WADESK_GROUPSEND_SENDS; do
    if [ -n "${!knob:-}" ]; then cmd="$knob=${!knob} $cmd"; fi
  done
  node bench/groupsend/report.mjs docs/benchmarks.md "$cmd" "$out"
}

if want http; then bench_http; fi
if want fanout; then bench_fanout; fi
if want walink; then bench_walink; fi
if want receive; then bench_receive; fi
if want history; then bench_history; fi
if want media; then bench_media; fi
if want groupsend; then bench_groupsend; fi
