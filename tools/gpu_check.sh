#!/usr/bin/env bash
# The one prepared check for a GPU machine (an H100 or H200 with a bare CUDA toolkit, PyTorch and no
# internet, available for minutes): a proof that the CUDA path works, not a smoke test. It builds
# the test binary there and then, in parallel where the GPU allows:
#   - every GPU test (the Gpu* suites) with HEP2_REQUIRE_GPU=1, so a GPU test that skips FAILS;
#     the table counts how many GPU tests ran, passed, failed and skipped;
#   - compute-sanitizer memcheck, racecheck, initcheck and synccheck over ALL GPU tests (each tool
#     sharded over several processes; racecheck instruments hep2's own kernels when the sanitizer
#     can filter kernels: the libraries' kernels are not ours to fix and take minutes there);
#   - end to end: `hep2 run` on the embedded data (5 DCAE epochs, the other settings hep2 run's
#     defaults) with --device cuda and with --device cpu, compared
#     by tools/compare_runs.py (features: max relative difference; predictions >= 99% identical;
#     mean class accuracy within 1 point);
#   - `hep2 cv --preset real` (tools/presets/real.json) on a small synthetic set on the GPU;
#   - `hep2 bench --device cuda` (the DCAE step eager and from a CUDA graph, side by side) beside
#     PyTorch eager and torch.compile on the same GPU (last, on a
#     quiet GPU);
# then prints the table last. Everything, build included, shares one deadline (DEADLINE_S, default
# 540 s: 9 minutes on a 16-core machine); a step that does not fit is reported, never silently
# dropped, and the exit status is non-zero unless every step passed.
#
#   tools/gpu_check.sh --prepare   here, once per commit to check: copy GoogleTest's sources into
#                                  .gtest-src (the GPU machine has none), and build `hep2` with CUDA
#                                  into .hep2-bundle/ together with the shared libraries it needs
#                                  beyond glibc and CUDA (the GPU machine lacks OpenCV); git
#                                  ignores both folders (.gitignore)
#   tools/gpu_check.sh --local     here, without a GPU: every part that needs none, the same way
#                                  (configure and build with HEP2_CUDA=ON, the CPU tests, the GPU
#                                  tests must all skip and fail under HEP2_REQUIRE_GPU=1, the
#                                  build checks, two CPU `hep2 run`s compared with the same tool)
#   tools/gpu_check.sh             on the GPU machine, in a copy of the checkout that holds the two
#                                  folders --prepare made (.gtest-src, .hep2-bundle); give it 10
#                                  minutes
#
# Logs go to $OUT when it is set (a folder the caller collects afterwards: at most 8 files, so the
# logs are packed into logs.tar.gz beside summary.txt and the JSON results), otherwise to
# <build dir>/gpu-check-logs. Environment: BUILD_DIR (default build-gpu-check), JOBS (default: all
# cores), DEADLINE_S (default 540), HEP2_BIN (a hep2 binary to use instead of building or unpacking
# one), SHARDS (sanitizer processes per tool, default 3).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MODE=gpu
case "${1:-}" in
  --prepare) MODE=prepare ;;
  --local) MODE=local ;;
  "") ;;
  -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--prepare | --local]" >&2; exit 2 ;;
esac

# The shared libraries a binary needs beyond what every Linux machine with CUDA has: glibc, the C++
# runtime (kept apart, in compat/, used only when the machine's own is older) and the CUDA
# libraries (the GPU machine's own toolkit and cuDNN serve those).
bundle_libs() {  # bundle_libs BINARY DIR
  local bin=$1 dir=$2
  mkdir -p "$dir/lib" "$dir/compat"
  ldd "$bin" | awk '$3 ~ /^\// {print $3}' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libresolv.so*|ld-linux*) ;;
      libcudart.so*|libcublas.so*|libcublasLt.so*|libcudnn*|libcuda.so*|libnvrtc*) ;;
      libstdc++.so*|libgcc_s.so*) cp -L "$lib" "$dir/compat/" ;;
      *) cp -L "$lib" "$dir/lib/" ;;
    esac
  done
}

# ---- --prepare: what the GPU machine cannot make itself ------------------------------------------
if [ "$MODE" = prepare ]; then
  src=/usr/src/googletest
  if [ ! -f "$src/CMakeLists.txt" ]; then
    echo "no GoogleTest sources at $src (apt install googletest)" >&2
    exit 1
  fi
  rm -rf .gtest-src
  cp -r "$src" .gtest-src
  echo "GoogleTest sources copied to $ROOT/.gtest-src ($(du -sh .gtest-src | cut -f1))."

  # hep2 itself, built here with CUDA for sm_90, with its libraries (about 50 MB packed: Debian's
  # OpenCV brings GDAL and its dependencies, and OpenBLAS).
  bdir=build-gpu-bundle
  cmake -G Ninja -S . -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DHEP2_CUDA=ON -DHEP2_CUDA_ARCHS=90 \
    -DHEP2_TESTS=OFF >/dev/null || exit 1
  cmake --build "$bdir" -j "${JOBS:-2}" --target hep2 || exit 1
  stage=$(mktemp -d)
  mkdir -p "$stage/hep2-bundle"
  cp "$bdir/hep2" "$stage/hep2-bundle/"
  bundle_libs "$bdir/hep2" "$stage/hep2-bundle"
  { git rev-parse HEAD; git status --porcelain --untracked-files=no | grep -q . && echo dirty; } \
    > "$stage/hep2-bundle/commit" 2>/dev/null
  rm -rf .hep2-bundle
  mkdir -p .hep2-bundle
  tar -C "$stage" -cf - hep2-bundle | xz -T"${JOBS:-2}" -6 > .hep2-bundle/hep2-bundle.tar.xz
  rm -rf "$stage"
  echo "hep2 with CUDA and its libraries: $ROOT/.hep2-bundle ($(du -sh .hep2-bundle | cut -f1)," \
    "commit $(git rev-parse --short HEAD))."
  echo "Copy both folders with the checkout to the GPU machine and run tools/gpu_check.sh there."
  exit 0
fi

BUILD_DIR=${BUILD_DIR:-build-gpu-check}
JOBS=${JOBS:-$(nproc)}
DEADLINE_S=${DEADLINE_S:-540}
SHARDS=${SHARDS:-3}
OUT_DIR=${OUT:-$BUILD_DIR/gpu-check-logs}
LOG_DIR=$OUT_DIR/logs
# Each check starts from empty logs (the steps append to them).
rm -rf "$LOG_DIR" "$OUT_DIR"/*.json "$OUT_DIR/summary.txt" "$OUT_DIR/logs.tar.gz"
mkdir -p "$LOG_DIR" "$BUILD_DIR"
START=$SECONDS
ROWS=()
FAILED=0

left() { echo $((DEADLINE_S - (SECONDS - START))); }

# step NAME LOG CAP COMMAND...: runs COMMAND under `timeout` (the smaller of CAP and the time left)
# with its output in $LOG_DIR/LOG, and records a row of the final table.
step() {
  local name=$1 log=$2 cap=$3
  shift 3
  local l
  l=$(left)
  local limit=$((cap < l ? cap : l))
  if [ "$limit" -lt 10 ]; then
    ROWS+=("$name|NOT RUN|0|no time left in the ${DEADLINE_S}s budget")
    FAILED=1
    return 124
  fi
  local t0=$SECONDS
  { echo "\$ $*"; echo; } >> "$LOG_DIR/$log"
  timeout --kill-after=10 "$limit" "$@" >> "$LOG_DIR/$log" 2>&1
  local rc=$?
  record "$name" "$rc" $((SECONDS - t0)) "$limit" "log: $log"
  return $rc
}

# record NAME RC SECONDS LIMIT NOTE: a table row from an exit status.
record() {
  local status=PASS note=$5
  if [ "$2" -eq 124 ] || [ "$2" -eq 137 ]; then
    status=TIMEOUT
    note="stopped after ${4}s; $note"
  elif [ "$2" -ne 0 ]; then
    status=FAIL
    note="exit $2; $note"
  fi
  [ "$status" = PASS ] || FAILED=1
  ROWS+=("$1|$status|$3|$note")
}

# A row that is not a step; NOT RUN, FAIL and MISSING rows make the check fail.
note_row() {
  ROWS+=("$1|$2|0|$3")
  case "$2" in PASS|SKIPPED) ;; *) FAILED=1 ;; esac
}

print_table() {
  {
    echo
    echo "== hep2 gpu_check ($MODE mode, $(date -u +%Y-%m-%dT%H:%MZ)," \
      "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)," \
      "$((SECONDS - START))s of ${DEADLINE_S}s) =="
    printf '%-24s %-8s %5s  %s\n' step status secs note
    for r in "${ROWS[@]}"; do
      IFS='|' read -r a b c d <<< "$r"
      printf '%-24s %-8s %5s  %s\n' "$a" "$b" "$c" "$d"
    done
    if [ "$FAILED" -eq 0 ]; then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
  } | tee "$OUT_DIR/summary.txt"
}

# A python3 with numpy (the GPU machine's has PyTorch; here Debian's /usr/bin/python3 has both).
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import numpy' 2>/dev/null; then PY=$p; break; fi
done

# Counts of a gtest JSON report: "ran passed failed skipped" (ran = not skipped).
gtest_counts() {  # gtest_counts FILE
  [ -n "$PY" ] && [ -f "$1" ] || { echo "0 0 0 0"; return; }
  "$PY" - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
cases = [t for s in r.get("testsuites", []) for t in s.get("testsuite", [])]
skipped = sum(1 for t in cases if t.get("result") == "SKIPPED")
failed = sum(1 for t in cases if t.get("failures"))
ran = len(cases) - skipped
print(ran, ran - failed, failed, skipped)
EOF
}

# ---- environment ---------------------------------------------------------------------------------
{
  echo "mode: $MODE"
  echo "host: $(uname -srm), $(nproc) cores; $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  command -v nvidia-smi >/dev/null &&
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv
  command -v nvcc >/dev/null && nvcc --version | tail -2
  cmake --version | head -1
  echo "python3 with numpy: ${PY:-none}"
  [ -n "$PY" ] && "$PY" -c 'import torch; print("torch", torch.__version__)' 2>&1
} > "$LOG_DIR/setup.log" 2>&1

HAVE_GPU=0
if [ "$MODE" = gpu ]; then
  if command -v nvidia-smi >/dev/null && nvidia-smi -L >> "$LOG_DIR/setup.log" 2>&1; then
    HAVE_GPU=1
  else
    note_row gpu MISSING "nvidia-smi finds no GPU: nothing here can prove the CUDA path"
  fi
fi
GPU_RUN=$HAVE_GPU  # 1: the GPU steps run; 0 (--local, or no GPU): they are reported as skipped

# ---- where cuDNN and cuBLAS are ------------------------------------------------------------------
# The GPU machine's CUDA toolkit may lack cuDNN (PyTorch brings its own as the nvidia-cudnn wheel):
# point CMake at the wheel's headers and library, and the loader at its folder.
CMAKE_EXTRA=()
NVCC=$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)
CUDA_HOME=${CUDA_HOME:-$(dirname "$(dirname "$(readlink -f "$NVCC")")")}
NVIDIA_WHEELS=$(python3 -c 'import nvidia; print(" ".join(nvidia.__path__))' 2>/dev/null)
find_in_wheels() {  # find_in_wheels NAME-PATTERN -> the first matching file, or nothing
  [ -n "$NVIDIA_WHEELS" ] || return 0
  # shellcheck disable=SC2086
  find $NVIDIA_WHEELS -name "$1" \( -type f -o -type l \) 2>/dev/null | sort | head -1
}
have_header() {  # have_header NAME: in the toolkit or the system include folders
  [ -f "$CUDA_HOME/include/$1" ] || [ -f "/usr/include/$1" ] || \
    [ -f "/usr/include/x86_64-linux-gnu/$1" ]
}
if ! have_header cudnn.h; then
  header=$(find_in_wheels cudnn.h)
  lib=$(find_in_wheels 'libcudnn.so.[0-9]*')
  if [ -n "$header" ] && [ -n "$lib" ]; then
    CMAKE_EXTRA+=("-DCUDNN_INCLUDE_DIR=$(dirname "$header")" "-DCUDNN_LIBRARY=$lib")
    export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "cuDNN from the Python wheels: $header, $lib" >> "$LOG_DIR/setup.log"
  else
    echo "cuDNN: no cudnn.h in $CUDA_HOME, /usr/include or the Python wheels" >> "$LOG_DIR/setup.log"
  fi
fi
have_cublas=0
for f in "$CUDA_HOME"/lib64/libcublas.so "$CUDA_HOME"/targets/*/lib/libcublas.so; do
  [ -e "$f" ] && have_cublas=1
done
if [ $have_cublas -eq 0 ] || ! have_header cublas_v2.h; then
  header=$(find_in_wheels cublas_v2.h)
  lib=$(find_in_wheels 'libcublas.so.[0-9]*')
  lt=$(find_in_wheels 'libcublasLt.so.[0-9]*')
  if [ -n "$header" ] && [ -n "$lib" ] && [ -n "$lt" ]; then
    inc=$(dirname "$header")
    CMAKE_EXTRA+=("-DCUDA_cublas_LIBRARY=$lib" "-DCUDA_cublasLt_LIBRARY=$lt"
                  "-DCMAKE_CXX_FLAGS=-isystem $inc" "-DCMAKE_CUDA_FLAGS=-isystem $inc")
    export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "cuBLAS from the Python wheels: $header, $lib" >> "$LOG_DIR/setup.log"
  else
    echo "cuBLAS: not in $CUDA_HOME nor in the Python wheels" >> "$LOG_DIR/setup.log"
  fi
fi
if [ -d .gtest-src ]; then
  CMAKE_EXTRA+=("-DHEP2_GTEST_SOURCE=$ROOT/.gtest-src")
elif [ "$MODE" = gpu ]; then
  echo "no .gtest-src: run tools/gpu_check.sh --prepare where GoogleTest is installed," \
    "and copy it to this machine" >> "$LOG_DIR/setup.log"
fi

# ---- the hep2 binary (end-to-end steps) ----------------------------------------------------------
# Built here when the pipeline's dependencies (OpenCV, nlohmann-json, CLI11) are present, as with
# --local; else taken from the bundle --prepare made (the GPU machine has no OpenCV).
HEP2=${HEP2_BIN:-}
unpack_bundle() {
  local tarball=.hep2-bundle/hep2-bundle.tar.xz dir=$BUILD_DIR/hep2-bundle
  [ -f "$tarball" ] || return 1
  rm -rf "$dir" && mkdir -p "$BUILD_DIR" || return 1
  # Python's tarfile when the machine's tar has no xz.
  tar -C "$BUILD_DIR" -xJf "$tarball" 2>/dev/null ||
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
      "$tarball" "$BUILD_DIR" || return 1
  export LD_LIBRARY_PATH="$ROOT/$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if ! "$dir/hep2" info > "$LOG_DIR/bundle.log" 2>&1; then
    # The machine's C++ runtime is older than the one hep2 was built with: use the bundled one.
    export LD_LIBRARY_PATH="$ROOT/$dir/compat:$LD_LIBRARY_PATH"
    "$dir/hep2" info > "$LOG_DIR/bundle.log" 2>&1 || return 1
  fi
  echo "bundle of commit $(tr '\n' ' ' < "$dir/commit"); checking $(git rev-parse HEAD 2>/dev/null)" \
    >> "$LOG_DIR/bundle.log"
  HEP2=$ROOT/$dir/hep2
}

# ---- configure and build -------------------------------------------------------------------------
GENERATOR=Ninja
command -v ninja >/dev/null || GENERATOR="Unix Makefiles"
step configure configure.log 90 cmake -G "$GENERATOR" -S "$ROOT" -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=Release -DHEP2_CUDA=ON -DHEP2_CUDA_ARCHS=90 -DHEP2_WERROR=ON \
  -DCMAKE_CUDA20_STANDARD_COMPILE_OPTION=-std=c++20 \
  -DCMAKE_CUDA20_EXTENSION_COMPILE_OPTION=-std=c++20 \
  "${CMAKE_EXTRA[@]}"
CONFIGURED=$?
PIPELINE=0
grep -q "building layers 1-3 only" "$LOG_DIR/configure.log" || PIPELINE=1

# The GPU end-to-end run needs no test binary: with a bundled hep2 it starts beside the build.
E2E_DIR=$BUILD_DIR/e2e
rm -rf "$E2E_DIR" && mkdir -p "$E2E_DIR"
# The embedded data (2000 synthetic cells) and hep2 run's defaults, but 5 DCAE epochs instead of
# 15: the same comparison in a third of the time.
RUN_ARGS=(--seed 1 --epochs 5 --ae-min-steps 0)
CPU_RUN_CAP=240
[ "$MODE" = local ] && CPU_RUN_CAP=900  # two CPU runs side by side on a small machine
CV_ARGS=(--synth-count 300 --folds 2 --seeds 1)
BG_PIDS=() BG_NAMES=()
bg_wait() {  # rows of background steps come back through files (a subshell cannot append ROWS)
  local pid f r
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for f in "$LOG_DIR"/.row.*; do
    [ -f "$f" ] || continue
    while IFS= read -r r; do
      ROWS+=("$r")
      case "$r" in *"|PASS|"*|*"|SKIPPED|"*) ;; *) FAILED=1 ;; esac
    done < "$f"
    rm -f "$f"
  done
  BG_PIDS=() BG_NAMES=()
}
# In a background subshell, record() must leave its row in a file.
row_to_file() {  # row_to_file NAME: the last row, for bg_wait
  echo "${ROWS[${#ROWS[@]}-1]}" > "$LOG_DIR/.row.$1"
}
gpu_e2e() {
  step run-cuda run-cuda.log 200 "$HEP2" run --device cuda "${RUN_ARGS[@]}" \
    --out "$E2E_DIR/cuda"
  row_to_file run-cuda
}
gpu_cv() {
  step cv-preset-cuda cv.log 200 "$HEP2" cv --device cuda --preset real \
    "${CV_ARGS[@]}" --out "$E2E_DIR/cv"
  row_to_file cv-preset-cuda
}

if [ -z "$HEP2" ] && [ "$PIPELINE" -eq 0 ] && [ "$GPU_RUN" -eq 1 ]; then
  if unpack_bundle; then
    echo "hep2 from the bundle: $HEP2" >> "$LOG_DIR/setup.log"
  else
    note_row hep2-binary MISSING "no OpenCV here and no usable .hep2-bundle (made by" \
      "tools/gpu_check.sh --prepare): the end-to-end steps cannot run"
  fi
fi
if [ -n "$HEP2" ] && [ "$GPU_RUN" -eq 1 ]; then
  ( gpu_e2e; gpu_cv ) &
  BG_PIDS+=($!)
  BG_NAMES+=(e2e-gpu)
fi

BUILT=1
if [ $CONFIGURED -eq 0 ]; then
  TARGETS=(--target hep2_test_nn)
  [ "$PIPELINE" -eq 1 ] && [ -z "$HEP2" ] && TARGETS+=(--target hep2)
  step build build.log 300 cmake --build "$BUILD_DIR" -j "$JOBS" "${TARGETS[@]}"
  BUILT=$?
  [ $BUILT -eq 0 ] && [ -z "$HEP2" ] && [ -x "$BUILD_DIR/hep2" ] && HEP2=$ROOT/$BUILD_DIR/hep2
else
  note_row build "NOT RUN" "configure failed"
fi
TEST_BIN=$BUILD_DIR/tests/hep2_test_nn

# With hep2 built only now (a machine with OpenCV), the GPU end-to-end steps start now.
if [ -n "$HEP2" ] && [ "$GPU_RUN" -eq 1 ] && [ ${#BG_PIDS[@]} -eq 0 ]; then
  ( gpu_e2e; gpu_cv ) &
  BG_PIDS+=($!)
  BG_NAMES+=(e2e-gpu)
fi

# ---- tests ---------------------------------------------------------------------------------------
if [ $BUILT -eq 0 ]; then
  step build-checks ctest.log 30 ctest --test-dir "$BUILD_DIR" -R BuildChecks --output-on-failure
fi
if [ $BUILT -ne 0 ]; then
  note_row gpu-tests "NOT RUN" "nothing built"
elif [ "$GPU_RUN" -eq 0 ]; then
  step cpu-tests cpu-tests.log 300 "$TEST_BIN" --gtest_filter='-Gpu*' --gtest_brief=1
  # Without a device every GPU test must skip with a reason, none pass or fail...
  step gpu-tests-skip gpu-tests.log 60 "$TEST_BIN" --gtest_filter='Gpu*' \
    --gtest_output="json:$OUT_DIR/gpu-tests.json"
  read -r ran passed failed skipped <<< "$(gtest_counts "$OUT_DIR/gpu-tests.json")"
  if [ "$ran" -eq 0 ] && [ "$skipped" -gt 0 ]; then
    note_row "gpu tests (no GPU)" SKIPPED "all $skipped GPU tests skipped with a reason, none ran"
  else
    note_row "gpu tests (no GPU)" FAIL "$ran ran without a GPU ($passed passed, $failed failed)," \
      "$skipped skipped: a GPU test that runs here is not testing the GPU"
  fi
  # ...and HEP2_REQUIRE_GPU=1 must turn every one of those skips into a failure.
  HEP2_REQUIRE_GPU=1 "$TEST_BIN" --gtest_filter='Gpu*' \
    --gtest_output="json:$OUT_DIR/gpu-tests-required.json" > "$LOG_DIR/gpu-tests-required.log" 2>&1
  read -r ran passed failed skipped <<< "$(gtest_counts "$OUT_DIR/gpu-tests-required.json")"
  if [ "$skipped" -eq 0 ] && [ "$passed" -eq 0 ] && [ "$failed" -gt 0 ]; then
    note_row "HEP2_REQUIRE_GPU=1" PASS "all $failed GPU tests fail instead of skipping"
  else
    note_row "HEP2_REQUIRE_GPU=1" FAIL "$skipped still skip, $passed pass, $failed fail" \
      "(log: gpu-tests-required.log)"
  fi
else
  step gpu-tests gpu-tests.log 150 env HEP2_REQUIRE_GPU=1 "$TEST_BIN" \
    --gtest_filter='Gpu*' --gtest_output="json:$OUT_DIR/gpu-tests.json"
  read -r ran passed failed skipped <<< "$(gtest_counts "$OUT_DIR/gpu-tests.json")"
  if [ "$ran" -gt 0 ] && [ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]; then
    note_row "gpu tests counted" PASS "$ran ran, $passed passed, $failed failed, $skipped skipped"
  else
    note_row "gpu tests counted" FAIL "$ran ran, $passed passed, $failed failed, $skipped skipped"
  fi
fi

# ---- compute-sanitizer over every GPU test, beside the CPU end-to-end run ------------------------
cpu_e2e() {
  step run-cpu run-cpu.log "$CPU_RUN_CAP" "$HEP2" run --device cpu "${RUN_ARGS[@]}" \
    --out "$E2E_DIR/cpu"
  row_to_file run-cpu
}
sanitize() {  # sanitize TOOL: SHARDS processes over all Gpu* tests; one row
  local tool=$1 san=$2 extra=() i pids=() rc=0 t0=$SECONDS
  "$san" --help 2>&1 | grep -q -- '--report-api-errors' && extra+=(--report-api-errors no)
  if [ "$tool" = racecheck ] && "$san" --help 2>&1 | grep -q -- '--kernel-name '; then
    extra+=(--kernel-name kns=hep2)  # hep2's kernels (namespace hep2::kernels) only
  fi
  local l
  l=$(left)
  local limit=$((l - BENCH_RESERVE))
  if [ "$limit" -lt 20 ]; then
    echo "$tool|NOT RUN|0|no time left in the ${DEADLINE_S}s budget" > "$LOG_DIR/.row.$tool"
    return
  fi
  for ((i = 0; i < SHARDS; i++)); do
    # Two CPU threads each for the tests' CPU references: twelve processes share the cores.
    GTEST_TOTAL_SHARDS=$SHARDS GTEST_SHARD_INDEX=$i HEP2_REQUIRE_GPU=1 OMP_NUM_THREADS=2 \
      timeout --kill-after=10 "$limit" "$san" --tool "$tool" --error-exitcode 1 --print-limit 20 \
      "${extra[@]}" "$TEST_BIN" --gtest_filter='Gpu*' --gtest_brief=1 \
      > "$LOG_DIR/$tool.$i.log" 2>&1 &
    pids+=($!)
  done
  local r
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}"
    r=$?
    if [ $r -ne 0 ] && { [ $rc -eq 0 ] || [ $r -eq 124 ]; }; then rc=$r; fi
  done
  local errors
  errors=$(cat "$LOG_DIR/$tool".*.log | sed -n 's/.*ERROR SUMMARY: \([0-9]*\) error.*/\1/p' |
    awk '{s += $1} END {print s + 0}')
  local status=PASS note="$SHARDS shards, ${extra[*]:-all kernels}; $errors errors; log: $tool.*.log"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status=TIMEOUT; note="stopped after ${limit}s; $note"
  elif [ $rc -ne 0 ]; then status=FAIL; fi
  echo "$tool|$status|$((SECONDS - t0))|$note" > "$LOG_DIR/.row.$tool"
}
BENCH_RESERVE=0
[ "$GPU_RUN" -eq 1 ] && BENCH_RESERVE=130  # the benchmarks need the GPU to themselves, last

if [ "$GPU_RUN" -eq 1 ] && [ $BUILT -eq 0 ]; then
  SAN=$(command -v compute-sanitizer || echo "$CUDA_HOME/bin/compute-sanitizer")
  if [ -x "$SAN" ]; then
    for tool in memcheck racecheck initcheck synccheck; do
      sanitize "$tool" "$SAN" &
      BG_PIDS+=($!)
      BG_NAMES+=("$tool")
    done
  else
    note_row sanitizers MISSING "compute-sanitizer not found"
  fi
elif [ "$GPU_RUN" -eq 0 ]; then
  note_row sanitizers SKIPPED "no GPU: compute-sanitizer needs one"
fi
if [ -n "$HEP2" ]; then
  cpu_e2e &
  BG_PIDS+=($!)
  BG_NAMES+=(run-cpu)
  if [ "$GPU_RUN" -eq 0 ]; then  # --local: a second CPU run stands in for the GPU one
    ( step run-cpu-again run-cpu-again.log "$CPU_RUN_CAP" "$HEP2" run --device cpu \
        "${RUN_ARGS[@]}" --out "$E2E_DIR/cuda"; row_to_file run-cpu-again ) &
    BG_PIDS+=($!)
    BG_NAMES+=(run-cpu-again)
  fi
else
  note_row end-to-end "NOT RUN" "no hep2 binary"
fi
bg_wait

# ---- end to end: the two runs compared ------------------------------------------------------------
if [ -f "$E2E_DIR/cpu/metrics.json" ] && [ -f "$E2E_DIR/cuda/metrics.json" ] && [ -n "$PY" ]; then
  what="cuda against cpu"
  [ "$GPU_RUN" -eq 0 ] && what="cpu against cpu (a rehearsal of the comparison)"
  step compare-runs compare.log 60 "$PY" tools/compare_runs.py "$E2E_DIR/cuda" \
    "$E2E_DIR/cpu" --json "$OUT_DIR/compare.json"
  ROWS[${#ROWS[@]}-1]+=", $what"
  # Each figure of the comparison under its row.
  while IFS= read -r line; do
    ROWS+=("|||$line")
  done < <(sed -n 's/^  \(ok  \|FAIL\) /  \1 /p' "$LOG_DIR/compare.log")
elif [ -n "$HEP2" ]; then
  note_row compare "NOT RUN" "a run folder is missing (logs: run-cuda.log, run-cpu.log)" \
    "${PY:+}${PY:-or no python3 with numpy}"
fi

# ---- benchmark, on a quiet GPU ---------------------------------------------------------------------
if [ "$GPU_RUN" -eq 0 ]; then
  note_row benchmark SKIPPED "no GPU: hep2 bench --device cuda and PyTorch on CUDA need one"
else
  if [ -n "$HEP2" ]; then
    step hep2-bench bench.log 60 "$HEP2" bench --device cuda:0 --batch 128 \
      --json "$OUT_DIR/bench-hep2.json"
    step hep2-bench-tf32 bench.log 40 "$HEP2" bench --device cuda:0 --batch 128 --tf32 \
      --no-layers --json "$OUT_DIR/bench-hep2-tf32.json"
    # The DCAE step replayed from a CUDA graph, timed in the same bench run as the eager step.
    graph_note=$([ -n "$PY" ] && "$PY" - "$OUT_DIR/bench-hep2.json" 2>/dev/null <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
g, e = j["train_graph"], j["train"]
print(f"graph {g['step_ms']:.3f} ms/step vs eager {e['step_ms']:.3f} ms/step: "
      f"{g['speedup_vs_eager']:.2f}x (batch {j['batch']})")
EOF
)
    if [ -n "$graph_note" ]; then note_row cuda-graph-step PASS "$graph_note"
    else note_row cuda-graph-step FAIL "no train_graph in bench-hep2.json (bench.log)"; fi
  else
    note_row hep2-bench "NOT RUN" "no hep2 binary"
  fi
  # Same device, batch and size: PyTorch eager (plain, expert) and torch.compile.
  step torch-bench bench.log 120 env PYTHONUNBUFFERED=1 "${PY:-python3}" \
    tools/reference/torch_bench.py --device cuda:0 --batch 128 --size 64 \
    --styles plain,expert,compiled --json "$OUT_DIR/bench-torch.json"
fi

print_table
# At most 8 files come back from the GPU machine: the logs travel as one archive.
tar -C "$OUT_DIR" -czf "$OUT_DIR/logs.tar.gz" logs 2>/dev/null && [ -n "${OUT:-}" ] &&
  rm -rf "$LOG_DIR"
exit "$FAILED"
