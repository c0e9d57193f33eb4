// What every kernel file shares (device side, nvcc only): the block size, the grid size of
// grid-stride loops, and the deterministic block reduction (CUB's).
#pragma once
#include <cstddef>

#include <cub/block/block_reduce.cuh>

namespace hep2::kernels {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over `count` items. The cap depends on nothing but the count, so
// the same call splits its work the same way on every device; 65535 blocks fill any current GPU.
inline unsigned grid_for(size_t count) {
  constexpr size_t kMaxBlocks = 65535;
  size_t blocks = (count + kThreads - 1) / kThreads;
  return unsigned(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// The sum of one value per thread over a block of exactly kThreads threads, for thread 0 (the
// others get an unspecified value). CUB's block reduction: warp shuffles and then the warps'
// sums in a fixed order, so the result has the same bits on every run (no atomics). Every thread
// of the block must call it, once per kernel. Accumulates in double: the partial sums of a loss
// span many orders of magnitude, and the CPU reference is compared against it.
__device__ inline double block_sum(double v) {
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage temp;
  return Reduce(temp).Sum(v);
}

}  // namespace hep2::kernels
