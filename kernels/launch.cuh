// What every kernel file shares (device side, nvcc only): the block size, the grid size of
// grid-stride loops, the one launcher every kernel launch goes through, and the deterministic
// block reduction (CUB's).
//
// Under HEP2_SIMT the kernels compile as C++ for the CPU SIMT harness (tests/simt): the launcher
// runs the grid there, block_sum is its emulated twin of CUB's reduction, and dynamic shared
// memory is the harness's buffer. Nothing changes for nvcc.
#pragma once
#include <cstddef>
#include <source_location>

#ifndef HEP2_SIMT
#include <cub/block/block_reduce.cuh>
#endif

#include "cuda/check.h"

// Declares `name` as the block's dynamic shared memory (the launch's shared_bytes), as T[].
#ifdef HEP2_SIMT
#define HEP2_DYNAMIC_SHARED(T, name) T* name = static_cast<T*>(::hep2::simt::dynamic_shared())
#else
#define HEP2_DYNAMIC_SHARED(T, name) extern __shared__ T name[]
#endif

namespace hep2::kernels {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over `count` items. The cap depends on nothing but the count, so
// the same call splits its work the same way on every device; 65535 blocks fill any current GPU.
inline unsigned grid_for(size_t count) {
  constexpr size_t kMaxBlocks = 65535;
  size_t blocks = (count + kThreads - 1) / kThreads;
  return unsigned(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// A kernel's name for errors, with the place it was launched from (taken where the launcher is
// called, so an error names the launching line).
struct KernelName {
  const char* name;
  std::source_location where;
  KernelName(const char* n, std::source_location w = std::source_location::current())
      : name(n), where(w) {}
};

// The launch of every hand-written kernel: kernel<<<grid, block, shared_bytes, stream>>>(args...)
// followed by the launch check (check.h; under HEP2_CUDA_SYNC=1 it also waits for the kernel),
// with the kernel's name and launching line in any error. One place sees every launch: the
// checking and any later instrumentation are decided here and nowhere else.
template <class... Params, class... Args>
void launch(KernelName kernel_name, dim3 grid, dim3 block, size_t shared_bytes,
            cudaStream_t stream, void (*kernel)(Params...), Args&&... args) {
#ifdef HEP2_SIMT
  (void)stream;
  simt::run_grid(kernel_name.name, grid, block, shared_bytes, [&] { kernel(args...); });
#else
  kernel<<<grid, block, shared_bytes, stream>>>(static_cast<Args&&>(args)...);
  cuda::detail::check_launch(kernel_name.name, kernel_name.where.file_name(),
                             int(kernel_name.where.line()));
#endif
}

// The sum of one value per thread over a block of exactly kThreads threads, for thread 0 (the
// others get an unspecified value). CUB's block reduction: warp shuffles and then the warps'
// sums in a fixed order, so the result has the same bits on every run (no atomics). Every thread
// of the block must call it, once per kernel. Accumulates in double: the partial sums of a loss
// span many orders of magnitude, and the CPU reference is compared against it.
__device__ inline double block_sum(double v) {
#ifdef HEP2_SIMT
  return simt::block_sum(v);
#else
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage temp;
  return Reduce(temp).Sum(v);
#endif
}

}  // namespace hep2::kernels
