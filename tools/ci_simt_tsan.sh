#!/usr/bin/env bash
# CI step: the SIMT harness's kernel tests (tests/simt, kernels/*.cu compiled as C++ and run on CPU
# threads) under ThreadSanitizer. Each block's threads are real threads, so a race on shared memory
# between two barriers (a missing __syncthreads) is a TSan report, which fails the run.
#
# Only the harness and its test are instrumented (HEP2_SIMT_SANITIZER=thread); the CPU backend they
# compare with is not, so its OpenMP threads report nothing.
#
# Environment: BUILD_DIR (default build-simt-tsan), JOBS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-simt-tsan}
jobs=${JOBS:-$(nproc)}

start=$(date +%s)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEP2_CUDA=OFF \
  -DHEP2_SIMT_SANITIZER=thread >/dev/null
cmake --build "$build" -j "$jobs" --target hep2_test_simt
built=$(date +%s)

# Under TSan only the kernels that share memory or meet at barriers (transposed convolution,
# block_sum in the bias gradients and losses, channel_stats): the others have neither, and run
# uninstrumented in tools/test.sh. About 3 minutes instead of 5 on CI's 2 cores. The transposed
# convolution at the training batch (Simt.TrainingBatchDeconv*) runs the same blocks' code as batch
# 8 and is left out (about 2 minutes more uninstrumented).
TSAN_TESTS='Simt.Deconv*:Simt.BiasGradients*:Simt.SigmoidMse*:Simt.Softmax*:Simt.ChannelStats*:Simt.BlockSum*'

# halt_on_error: the first race ends the test process with a failure (exitcode 66).
# One OpenMP thread: libgomp is not instrumented either (the test's CPU backend runs one thread).
export OMP_NUM_THREADS=1
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
"$build/tests/simt/hep2_test_simt" --gtest_filter="$TSAN_TESTS"
end=$(date +%s)
echo "ci_simt_tsan: build $((built - start)) s, tests $((end - built)) s, total $((end - start)) s"
