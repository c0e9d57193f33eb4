#!/usr/bin/env bash
# CI step: builds the libFuzzer targets (clang, HEP2_FUZZ=ON, AddressSanitizer + UBSan) and runs
# each for a bounded time from its seed corpus in tests/fuzz/corpus/<target>/. A crash, a sanitizer
# report, an exception other than hep2::Error, or a broken invariant fails the step; the input that
# did it is kept as <build>/artifacts/<target>-crash-* and the command to replay it is printed.
#
# Budget: about 3 minutes on CI's 2 cores (docs/reliability.md has the measured times).
# Needs clang++ and the fuzzer runtime (Debian: clang libclang-rt-14-dev; libomp-dev because the
# configure step finds OpenMP for the rest of the project).
#
# Environment: BUILD_DIR (default build-fuzz), FUZZ_SECONDS per target (default 30), JOBS (how
# many targets run at once; default: all cores), CXX_CLANG (default clang++).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-30}
jobs=${JOBS:-$(nproc)}
clang=${CXX_CLANG:-clang++}
targets=(fuzz_manifest fuzz_image fuzz_checkpoint fuzz_npy)

command -v "$clang" >/dev/null || { echo "ci_fuzz: $clang not found (apt install clang libclang-rt-14-dev)" >&2; exit 1; }

start=$(date +%s)
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$clang" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHEP2_FUZZ=ON -DHEP2_TESTS=OFF -DHEP2_CUDA=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
built=$(date +%s)

# One fuzzer: new inputs go to a scratch corpus in the build folder (the seeds in the repository
# stay as they are), crashes to the artifacts folder, the log to <build>/logs/<target>.log.
fuzz_one() {
  local t=$1 name=${1#fuzz_}
  mkdir -p "$build/corpus/$t" "$build/artifacts" "$build/logs"
  if "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t-" "$build/corpus/$t" "$root/tests/fuzz/corpus/$name" \
      >"$build/logs/$t.log" 2>&1; then
    echo "ci_fuzz: $t: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$build/logs/$t.log" |
      grep -Eo '[0-9]+$') inputs in ${seconds} s, no finding"
  else
    echo "ci_fuzz: $t FAILED; the end of its log ($build/logs/$t.log):" >&2
    tail -n 60 "$build/logs/$t.log" >&2
    local crash
    crash=$(ls -t "$build/artifacts/$t-"* 2>/dev/null | head -n 1 || true)
    [ -n "$crash" ] && echo "ci_fuzz: replay with: $build/$t $crash" >&2
    return 1
  fi
}

failed=0
pids=()
for t in "${targets[@]}"; do
  fuzz_one "$t" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
end=$(date +%s)
echo "ci_fuzz: build $((built - start)) s, fuzzing $((end - built)) s, total $((end - start)) s"
exit "$failed"
