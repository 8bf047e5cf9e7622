#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, -fsanitize=fuzzer,address,undefined: CMake with
# -DWADESK_FUZZ=ON in its own build directory) and runs each for a bounded time, one after the
# other, from the committed seeds (fuzz/corpus/<target>/) and the working corpus that stays in
# $WADESK_FUZZ_BUILD/corpus/<target>/ between runs. See docs/fuzzing.md.
#   WADESK_FUZZ_SECONDS  run time per target (default 60)
#   WADESK_FUZZ_TARGETS  the targets to run, space-separated (default: every fuzz/*_fuzz.cpp)
#   WADESK_FUZZ_BUILD    build directory (default build-fuzz)
#   WADESK_FUZZ_JOBS     parallel fuzzing jobs per target (default 1)
#   JOBS                 build jobs (default nproc)
# A crash, a sanitizer report, a failed invariant, a leak, an out-of-memory or a timeout fails the
# run; the input is written to $WADESK_FUZZ_BUILD/artifacts/<target>-*. The last lines are a table
# of executions, coverage (cov: edges, ft: features, as libFuzzer counts them) and outcome per
# target, also kept in $WADESK_FUZZ_BUILD/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${WADESK_FUZZ_SECONDS:-60}
out=${WADESK_FUZZ_BUILD:-build-fuzz}
jobs=${WADESK_FUZZ_JOBS:-1}
command -v clang++ >/dev/null || { echo "clang++ not found: run WADESK_WITH_FUZZ=1 scripts/install-deps.sh" >&2; exit 1; }

if [ ! -f "$out/build.ninja" ]; then
  cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DWADESK_FUZZ=ON >/dev/null
fi
echo "build the fuzz targets in $out"
if ! ninja -C "$out" -j "${JOBS:-$(nproc)}" fuzz_targets >"$out/build.log" 2>&1; then
  tail -40 "$out/build.log" >&2
  echo "fuzz build failed (whole log: $out/build.log)" >&2
  exit 1
fi

targets=${WADESK_FUZZ_TARGETS:-$(cd fuzz && ls *_fuzz.cpp | sed 's/_fuzz\.cpp$//')}
mkdir -p "$out/artifacts"
summary="$out/summary.txt"
printf '%-18s %12s %7s %8s %7s  %s\n' target executions cov ft corpus result > "$summary"
status=0
for target in $targets; do
  corpus="$out/corpus/$target"
  seeds="fuzz/corpus/$target"
  mkdir -p "$corpus" "$seeds"
  log="$out/$target.log"
  parallel=()
  if [ "$jobs" -gt 1 ]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi
  echo "fuzz $target for ${seconds}s"
  # New inputs go to the working corpus (the first directory); the seeds are only read. Run inside
  # the build directory: with -jobs libFuzzer writes fuzz-N.log to the working directory.
  (cd "$out" && UBSAN_OPTIONS=print_stacktrace=1 "fuzz/${target}_fuzz" "corpus/$target" "$OLDPWD/$seeds" \
      -max_total_time="$seconds" "${parallel[@]}" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="artifacts/$target-") >"$log" 2>&1 || true
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{s += $1} END {print s + 0}')
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  # Slow units (written as artifacts/*-slow-unit-*) are reported but are not failures: on a loaded
  # machine their wall time is noise. Crashes, sanitizer reports, leaks, OOMs and timeouts are.
  if grep -q -E '^==[0-9]+==ERROR|ERROR: libFuzzer|SUMMARY: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|deadly signal|runtime error:|invariant violated' "$log"; then
    result="FAILED (see $log and $out/artifacts/)"
    grep -E 'invariant violated|runtime error:|^==[0-9]+==ERROR|SUMMARY|Test unit written' "$log" | head -5 >&2
    status=1
  elif [ -z "$done_line" ]; then
    result="FAILED (no final statistics, see $log)"
    status=1
  elif grep -q 'slow-unit' "$log"; then
    result="ok (slow inputs saved in $out/artifacts/)"
  else
    result=ok
  fi
  printf '%-18s %12s %7s %8s %7s  %s\n' "$target" "$execs" "${cov:--}" "${ft:--}" "$(ls "$corpus" | wc -l)" "$result" \
    | tee -a "$summary"
done
echo
cat "$summary"
exit $status
