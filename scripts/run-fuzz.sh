#!/usr/bin/env bash
# Builds and runs the libFuzzer targets under fuzz/ with clang (-fsanitize=fuzzer,address,undefined)
# in their own build directory, for a bounded time each, seeded from tests/vectors.
#   WADESK_FUZZ_SECONDS  run time per target (default 60)
#   WADESK_FUZZ_BUILD    build directory (default build-fuzz)
#   WADESK_FUZZ_JOBS     parallel fuzzing jobs (default 1)
# Crashes are written to $WADESK_FUZZ_BUILD/artifacts/; the working corpus stays in
# $WADESK_FUZZ_BUILD/corpus/<target>/ between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${WADESK_FUZZ_SECONDS:-60}
out=${WADESK_FUZZ_BUILD:-build-fuzz}
jobs=${WADESK_FUZZ_JOBS:-1}
command -v clang++ >/dev/null || { echo "clang++ not found: run WADESK_WITH_FUZZ=1 scripts/install-deps.sh" >&2; exit 1; }
mkdir -p "$out/obj" "$out/artifacts"

flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=undefined -Isrc)
sources=(src/core/bytes.cpp src/core/result.cpp
         src/whatsapp/binary/tokens.cpp src/whatsapp/binary/tokens_data.cpp src/whatsapp/binary/node.cpp
         src/whatsapp/binary/jid.cpp src/whatsapp/binary/encoder.cpp src/whatsapp/binary/decoder.cpp)
objects=()
for src in "${sources[@]}"; do
  obj="$out/obj/$(echo "$src" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$0" -nt "$obj" ] || [ -n "$(find src/whatsapp/binary src/core -name '*.h' -newer "$obj")" ]; then
    echo "compile $src"
    clang++ "${flags[@]}" -c "$src" -o "$obj"
  fi
  objects+=("$obj")
done

# Seed corpus: every stanza in tests/vectors/binary_corpus.json (small ones) and the protocol vectors.
seed="$out/seed/binary_decoder"
rm -rf "$seed"; mkdir -p "$seed"
node -e '
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync("tests/vectors/binary_corpus.json", "utf8"));
  let n = 0;
  for (const e of [...c.roundTrip, ...c.decodeOnly]) {
    if (!e.hex || e.hex.length > 8192) continue;
    fs.writeFileSync(process.argv[1] + "/" + e.name, Buffer.from(e.hex, "hex")); n++;
  }
  console.log("seed corpus: " + n + " stanzas");
' "$seed"

status=0
for target in binary_decoder_fuzz; do
  echo "link $target"
  clang++ "${flags[@]/fuzzer-no-link/fuzzer}" "fuzz/$target.cpp" "${objects[@]}" -lz -lsodium -o "$out/$target"
  corpus="$out/corpus/$target"
  mkdir -p "$corpus"
  echo "run $target for ${seconds}s"
  parallel=()
  if [ "$jobs" -gt 1 ]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi
  # Run inside the build directory: with -jobs libFuzzer writes fuzz-N.log to the working directory.
  if ! (cd "$out" && "./$target" "corpus/$target" "seed/binary_decoder" -max_total_time="$seconds" "${parallel[@]}" \
        -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="artifacts/$target-") 2>&1 | tee "$out/$target.log" | grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|ERROR|SUMMARY|stat::|^INFO: seed'; then
    :
  fi
  # Slow units (written as artifacts/*-slow-unit-*) are reported but are not failures: on a loaded
  # machine their wall time is noise. Crashes, sanitizer reports, leaks, OOMs and timeouts are.
  if grep -q -E '^==[0-9]+==ERROR|ERROR: libFuzzer|SUMMARY: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|deadly signal' "$out/$target.log"; then
    echo "$target: FAILURE, see $out/$target.log and $out/artifacts/" >&2
    status=1
  elif grep -q 'slow-unit' "$out/$target.log"; then
    echo "$target: slow inputs saved in $out/artifacts/ (not a failure)"
  fi
done
exit $status
