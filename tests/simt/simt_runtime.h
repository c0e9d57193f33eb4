// The CPU SIMT runtime: what kernels/*.cu need from CUDA when the harness compiles them as plain
// C++ (HEP2_SIMT, tests/simt). It is forced into every such translation unit (-include), before
// the kernel file's own includes, and is used nowhere else.
//
// Execution model. A launch runs the grid's blocks one after another. A block's threads are real
// threads (a pool of blockDim.x * y * z std::threads made per launch), so __syncthreads is a real
// barrier (std::barrier) and ThreadSanitizer sees two threads touching shared memory between two
// barriers as a race. Exception, for speed: in a launch whose first block never calls
// __syncthreads, the blocks between the first and the last run their threads one after another
// on the launching thread (a schedule CUDA allows too); a barrier there fails the launch
// (simt_runtime.cpp). Races between blocks are not seen: blocks never run concurrently.
//
// Shared memory. Because one block runs at a time, a `__shared__` variable can be a function-local
// static: every thread of the block sees the one instance. `__shared__` places those statics in the
// ELF section hep2_simt_shared, and the whole section is filled with 0xFF bytes (NaN as float and
// as double, -1 as an integer) before each block, so a thread that reads a shared element no
// thread of its block wrote in this block gets NaN, as stale or garbage shared memory would on a
// GPU. Dynamic shared memory (HEP2_DYNAMIC_SHARED in launch.cuh) is a buffer of exactly the launch's
// shared_bytes, poisoned the same way. Not poisoned: registers (locals), and global memory (the
// tests poison their outputs with NaN themselves).
//
// Arithmetic. The __dadd_rn-style intrinsics are the plain correctly rounded IEEE operations; the
// harness is compiled with -ffp-contract=off so that no multiply-add is fused behind the kernel's
// back (the GPU compiler does fuse a*b+c where the kernel does not use an _rn intrinsic: results
// that depend on it are compared with a tolerance, as the GPU tests do).
#pragma once
#ifndef HEP2_SIMT
#error "simt_runtime.h is only for compiling kernels as C++ in the SIMT harness (HEP2_SIMT)"
#endif

#include <math.h>

#include <cstddef>
#include <cstdint>
#include <functional>

// ---- CUDA's vocabulary -------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static __attribute__((section("hep2_simt_shared")))

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

using cudaStream_t = struct hep2_simt_stream*;
enum cudaError_t { cudaSuccess = 0 };
// Device memory is host memory in the harness.
inline cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t) {
  unsigned char* b = static_cast<unsigned char*>(p);
  for (size_t i = 0; i < bytes; ++i) b[i] = static_cast<unsigned char>(value);
  return cudaSuccess;
}

// Each thread's coordinates: set by the launcher in each pool thread before it runs the kernel.
inline thread_local dim3 threadIdx{0, 0, 0}, blockIdx{0, 0, 0}, blockDim, gridDim;

void __syncthreads();

inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }

// Explicitly rounded operations: IEEE round-to-nearest in C++ too (no contraction: see above).
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return sqrt(a); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }

namespace hep2::simt {

// Runs `kernel` (the kernel call with its arguments bound) for every thread of every block of the
// grid, block after block, with `shared_bytes` of dynamic shared memory per block.
void run_grid(const char* name, dim3 grid, dim3 block, size_t shared_bytes,
              const std::function<void()>& kernel);

// The current block's dynamic shared memory (HEP2_DYNAMIC_SHARED).
void* dynamic_shared();

// The emulated twin of CUB's BlockReduce<double, 256>::Sum (BLOCK_REDUCE_WARP_REDUCTIONS, CUB's
// default): within each warp of 32 threads the shuffle-down tree (offsets 1, 2, 4, 8, 16: lane 0
// ends with ((x0 + x1) + (x2 + x3)) + ...), then thread 0 adds the warps' sums in warp order,
// ((w0 + w1) + w2) + ... . Read from the CCCL sources of CUDA 13 (warp_reduce_shfl.cuh,
// block_reduce_warp_reductions.cuh); the order is certain for those sources, though not checked
// on a device. The result is returned to thread 0; the others get NaN (CUB: unspecified).
double block_sum(double v);

// Blocks run, for the tests that check a launch split its work over several blocks.
size_t blocks_run();

}  // namespace hep2::simt
