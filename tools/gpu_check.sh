#!/usr/bin/env bash
# The one prepared check for a borrowed GPU machine (an H200 lent by the `device` tool for a few
# minutes): build what the GPU tests need on that bare CUDA machine, run the GPU tests, a
# compute-sanitizer pass (memcheck, racecheck) over our own kernels, and the GPU benchmark where
# one exists, then print a short table last. Whole run under 8 minutes: every step has a timeout
# and the steps share one deadline.
#
#   tools/gpu_check.sh --prepare   here, once: copy GoogleTest's sources into .gtest-src (the GPU
#                                  machine has no GoogleTest and no internet) and keep git from
#                                  seeing that folder (.git/info/exclude)
#   tools/gpu_check.sh --local     here, without a GPU: the same configure and build with
#                                  HEP2_CUDA=ON, the CPU tests, and "no GPU: GPU steps skipped"
#   tools/gpu_check.sh             on the GPU machine, e.g. through the device tool:
#                                  run(command="tools/gpu_check.sh", carry=[".gtest-src"],
#                                      timeout_s=540)
#
# Logs go to $OUT when it is set (the device tool brings that folder back; at most 8 files),
# otherwise to <build dir>/gpu-check-logs. Environment: BUILD_DIR (default build-gpu-check),
# JOBS (default: all cores), DEADLINE_S (default 450: the steps' shared budget in seconds).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MODE=gpu
case "${1:-}" in
  --prepare) MODE=prepare ;;
  --local) MODE=local ;;
  "") ;;
  -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--prepare | --local]" >&2; exit 2 ;;
esac

# ---- --prepare: GoogleTest sources for a machine that has none -----------------------------------
if [ "$MODE" = prepare ]; then
  src=/usr/src/googletest
  if [ ! -f "$src/CMakeLists.txt" ]; then
    echo "no GoogleTest sources at $src (apt install googletest)" >&2
    exit 1
  fi
  rm -rf .gtest-src
  cp -r "$src" .gtest-src
  mkdir -p .git/info
  touch .git/info/exclude
  grep -qx '/.gtest-src/' .git/info/exclude || echo '/.gtest-src/' >> .git/info/exclude
  echo "GoogleTest sources copied to $ROOT/.gtest-src ($(du -sh .gtest-src | cut -f1)), ignored by git."
  echo "Carry them: run(command=\"tools/gpu_check.sh\", carry=[\".gtest-src\"], timeout_s=540)"
  exit 0
fi

BUILD_DIR=${BUILD_DIR:-build-gpu-check}
JOBS=${JOBS:-$(nproc)}
DEADLINE_S=${DEADLINE_S:-450}
LOG_DIR=${OUT:-$BUILD_DIR/gpu-check-logs}
mkdir -p "$LOG_DIR" "$BUILD_DIR"
START=$SECONDS
ROWS=()

# Runs one step under `timeout`, logging to $LOG_DIR/<log>; records a row of the final table.
#   step NAME LOG CAP_SECONDS COMMAND...
step() {
  local name=$1 log=$2 cap=$3
  shift 3
  local left=$((DEADLINE_S - (SECONDS - START)))
  local limit=$((cap < left ? cap : left))
  if [ "$limit" -lt 10 ]; then
    ROWS+=("$name|SKIPPED|0|no time left in the ${DEADLINE_S}s budget")
    return 1
  fi
  local t0=$SECONDS
  { echo "\$ $*"; echo; } >> "$LOG_DIR/$log"
  timeout --kill-after=10 "$limit" "$@" >> "$LOG_DIR/$log" 2>&1
  local rc=$?
  local took=$((SECONDS - t0)) status=PASS note="log: $log"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    status=TIMEOUT
    note="stopped after ${limit}s; log: $log"
  elif [ $rc -ne 0 ]; then
    status=FAIL
    note="exit $rc; log: $log"
  fi
  ROWS+=("$name|$status|$took|$note")
  return $rc
}

note_row() { ROWS+=("$1|$2|0|$3"); }

print_table() {
  {
    echo
    echo "== hep2 gpu_check ($MODE mode, $(date -u +%Y-%m-%dT%H:%MZ), $((SECONDS - START))s) =="
    printf '%-22s %-8s %5s  %s\n' step status secs note
    for r in "${ROWS[@]}"; do
      IFS='|' read -r a b c d <<< "$r"
      printf '%-22s %-8s %5s  %s\n' "$a" "$b" "$c" "$d"
    done
  } | tee "$LOG_DIR/summary.txt"
}

# ---- environment ---------------------------------------------------------------------------------
{
  echo "mode: $MODE"
  echo "host: $(uname -srm), $(nproc) cores"
  command -v nvidia-smi >/dev/null &&
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv
  command -v nvcc >/dev/null && nvcc --version | tail -2
  cmake --version | head -1
  echo "python3: $(command -v python3)"
} > "$LOG_DIR/setup.log" 2>&1

HAVE_GPU=0
if [ "$MODE" = gpu ]; then
  if command -v nvidia-smi >/dev/null && nvidia-smi -L >> "$LOG_DIR/setup.log" 2>&1; then
    HAVE_GPU=1
  else
    note_row "gpu" "MISSING" "nvidia-smi finds no GPU: building and running the CPU parts only"
  fi
fi

# ---- where cuDNN and cuBLAS are ------------------------------------------------------------------
# The GPU machine's CUDA toolkit may lack cuDNN (PyTorch brings its own as the nvidia-cudnn wheel):
# point CMake at the wheel's headers and library, and the loader at its folder.
CMAKE_EXTRA=()
NVCC=$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)
CUDA_HOME=${CUDA_HOME:-$(dirname "$(dirname "$(readlink -f "$NVCC")")")}
# The folders of the `nvidia` Python namespace (the CUDA wheels PyTorch depends on), if any.
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
    "and carry it" >> "$LOG_DIR/setup.log"
fi

# ---- configure and build -------------------------------------------------------------------------
# CMake before 3.26 does not know nvcc's C++20 flag; naming it is harmless on newer CMake.
GENERATOR=Ninja
command -v ninja >/dev/null || GENERATOR="Unix Makefiles"
step configure setup.log 90 cmake -G "$GENERATOR" -S "$ROOT" -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=Release -DHEP2_CUDA=ON -DHEP2_CUDA_ARCHS=90 -DHEP2_WERROR=ON \
  -DCMAKE_CUDA20_STANDARD_COMPILE_OPTION=-std=c++20 \
  -DCMAKE_CUDA20_EXTENSION_COMPILE_OPTION=-std=c++20 \
  "${CMAKE_EXTRA[@]}"
CONFIGURED=$?

BUILT=1
if [ $CONFIGURED -eq 0 ]; then
  TARGETS=(--target hep2_test_nn)
  # The pipeline (and the `hep2 bench` command) needs OpenCV, which a bare CUDA machine lacks.
  grep -q "building layers 1-3 only" "$LOG_DIR/setup.log" || TARGETS+=(--target hep2)
  step build build.log 300 cmake --build "$BUILD_DIR" -j "$JOBS" "${TARGETS[@]}"
  BUILT=$?
else
  note_row build SKIPPED "configure failed"
fi
TEST_BIN=$BUILD_DIR/tests/hep2_test_nn

# ---- tests ---------------------------------------------------------------------------------------
if [ $BUILT -ne 0 ]; then
  note_row tests SKIPPED "nothing built"
elif [ "$MODE" = local ] || [ $HAVE_GPU -eq 0 ]; then
  step cpu-tests tests.log 240 "$TEST_BIN" --gtest_filter='-Gpu*' --gtest_brief=1
  # The GPU suites must skip cleanly (never pass silently) without a device.
  step gpu-tests-skip tests.log 60 "$TEST_BIN" --gtest_filter='Gpu*'
  if grep -q "SKIPPED" "$LOG_DIR/tests.log" && ! grep -q "^\[  FAILED" "$LOG_DIR/tests.log"; then
    note_row "gpu steps" SKIPPED "no GPU: GPU steps skipped (GPU tests report SKIPPED, not passed)"
  fi
else
  step gpu-tests tests.log 150 "$TEST_BIN" --gtest_filter='Gpu*'
  # compute-sanitizer over our own kernels only (cuDNN and cuBLAS under the sanitizer are slow and
  # not ours to fix): memcheck for out-of-bounds and misaligned accesses, racecheck for the
  # shared-memory kernels (transposed convolution, reductions).
  SAN=$(command -v compute-sanitizer || echo "$CUDA_HOME/bin/compute-sanitizer")
  MEMCHECK_FILTER="GpuOpsDeconv.*:GpuOpsPool.*:GpuOpsGather.*:GpuOpsDropout.*:GpuOpsChannelStats.*"
  MEMCHECK_FILTER+=":GpuOpsLoss.SigmoidMsePerSample*:GpuOpsLoss.SigmoidBceGrad*:GpuOpsLoss.Softmax*"
  MEMCHECK_FILTER+=":GpuOpsOptim.Sgd*"
  RACECHECK_FILTER="GpuOpsDeconv.ForwardWithAndWithoutBiasAndReluMatchesCpu"
  RACECHECK_FILTER+=":GpuOpsDeconv.BackwardDataMatchesCpu:GpuOpsDeconv.BackwardFilterAndBiasMatchCpu"
  RACECHECK_FILTER+=":GpuOpsLoss.SigmoidMsePerSample*"
  if [ -x "$SAN" ]; then
    step memcheck memcheck.log 90 "$SAN" --tool memcheck --error-exitcode 1 --print-limit 20 \
      "$TEST_BIN" --gtest_filter="$MEMCHECK_FILTER" --gtest_brief=1
    step racecheck racecheck.log 75 "$SAN" --tool racecheck --error-exitcode 1 --print-limit 20 \
      "$TEST_BIN" --gtest_filter="$RACECHECK_FILTER" --gtest_brief=1
  else
    note_row sanitizer SKIPPED "compute-sanitizer not found"
  fi
fi

# ---- benchmark -----------------------------------------------------------------------------------
if [ "$MODE" = local ] || [ $HAVE_GPU -eq 0 ]; then
  note_row benchmark SKIPPED "no GPU: GPU steps skipped"
else
  if [ -x "$BUILD_DIR/hep2" ]; then
    step hep2-bench bench.log 90 "$BUILD_DIR/hep2" bench --device cuda:0 --batch 128 \
      --json "$LOG_DIR/bench.json"
  else
    note_row hep2-bench SKIPPED "no hep2 binary here (the pipeline needs OpenCV)"
  fi
  if [ -f tools/reference/torch_bench.py ]; then
    # Same device, batch and size as hep2's line above, so the two are side by side.
    step torch-bench bench.log 90 env PYTHONUNBUFFERED=1 python3 tools/reference/torch_bench.py \
      --device cuda:0 --batch 128 --size 64
  else
    note_row torch-bench SKIPPED "tools/reference/torch_bench.py does not exist yet"
  fi
fi

print_table
# Non-zero when any step failed or timed out, so a caller can tell at a glance.
for r in "${ROWS[@]}"; do
  case "$r" in *"|FAIL|"*|*"|TIMEOUT|"*) exit 1 ;; esac
done
exit 0
