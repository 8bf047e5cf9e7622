#!/usr/bin/env bash
# Runs every test: the C++ suites through CTest (unit, SQLite and PostgreSQL labels), every fuzz
# target for a few seconds (scripts/run-fuzz.sh) and the JavaScript suites under tests/js (real
# server processes, real clients), against a throwaway PostgreSQL started here on a spare loopback
# port and stopped on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d /tmp/wadesk-test.XXXXXX)
chmod 755 "$work"
cleanup() { scripts/pg-temp.sh stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT

export WADESK_TEST_PG_URL
WADESK_TEST_PG_URL=$(scripts/pg-temp.sh start "$work/pg") || { echo "could not start PostgreSQL" >&2; exit 1; }
export WADESK_BUILD_DIR=$PWD/$build
export WADESK_BIN=$PWD/$build/wadesk
export WADESK_SIM_BIN=$PWD/$build/wadesk-sim
echo "PostgreSQL for tests: $WADESK_TEST_PG_URL"

passed=0; failed=0
stage() {  # stage NAME CMD...: runs one suite, counts it
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "=== $name FAILED"; fi
}

stage "C++ suites (ctest)" ctest --test-dir "$build" --output-on-failure -j 2 --timeout 300
# Every fuzz target briefly (docs/fuzzing.md); `make fuzz` is the long run.
if command -v clang++ >/dev/null; then
  stage "fuzz targets (${WADESK_FUZZ_SHORT_SECONDS:-8} s each)" \
    env WADESK_FUZZ_SECONDS="${WADESK_FUZZ_SHORT_SECONDS:-8}" scripts/run-fuzz.sh
else
  echo "=== fuzz targets SKIPPED: clang++ is not installed (WADESK_WITH_FUZZ=1 scripts/install-deps.sh installs it)"
fi
shopt -s nullglob
js_tests=(tests/js/*.test.mjs)
if [ ${#js_tests[@]} -gt 0 ]; then
  # --test-force-exit: a suite whose hooks failed still ends (its child processes die with it,
  # tests/js/lib/children.mjs) instead of holding the run until CI's time limit.
  stage "JavaScript suites (node --test)" node --test --test-concurrency=1 --test-force-exit "${js_tests[@]}"
fi

echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
