// What every kernel file shares (device side, nvcc only): the block size, the grid size of
// grid-stride loops, and the deterministic block reduction.
#pragma once
#include <cstddef>

namespace hep2::kernels {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over `count` items. The cap depends on nothing but the count, so
// the same call splits its work the same way on every device; 65535 blocks fill any current GPU.
inline unsigned grid_for(size_t count) {
  constexpr size_t kMaxBlocks = 65535;
  size_t blocks = (count + kThreads - 1) / kThreads;
  return unsigned(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// The sum of one value per thread over a block of kThreads threads, added in a fixed tree order
// so the result has the same bits on every run (no atomics). Every thread of the block must call
// it; every thread gets the sum. Accumulates in double: the partial sums of a loss span many
// orders of magnitude, and the CPU reference is compared against it.
__device__ inline double block_sum(double v) {
  __shared__ double partial[kThreads];
  __syncthreads();  // a previous call's readers of partial[0] are done before it is overwritten
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride >>= 1) {
    if (int(threadIdx.x) < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  return partial[0];
}

}  // namespace hep2::kernels
