// The CPU SIMT runtime's launcher, barrier, shared-memory poisoning and emulated block reduction
// (see simt_runtime.h for the model).
#include "simt_runtime.h"

#include <atomic>
#include <barrier>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// The linker's bounds of the section that holds every __shared__ variable (weak: a program may
// have none).
extern "C" __attribute__((weak)) unsigned char __start_hep2_simt_shared[];
extern "C" __attribute__((weak)) unsigned char __stop_hep2_simt_shared[];

namespace hep2::simt {

namespace {

constexpr unsigned kMaxThreads = 1024;  // CUDA's limit per block
constexpr int kReduceThreads = 256;     // kernels::kThreads: the one block size block_sum serves
constexpr int kWarp = 32;

// The current block's barrier; remade before each block because a thread that returns from the
// kernel drops out of it (as exited threads do on sm_70 and later).
std::optional<std::barrier<>> g_sync;
std::vector<unsigned char> g_dynamic;
std::atomic<size_t> g_blocks{0};
// __syncthreads calls in the current launch, and whether its block runs on the launching thread.
std::atomic<size_t> g_barriers{0};
bool g_sequential = false;

// block_sum's staging: one slot per thread, shared memory like any __shared__ variable.
__attribute__((section("hep2_simt_shared"))) double g_reduce_slots[kReduceThreads];

void poison_shared(size_t dynamic_bytes) {
  if (__start_hep2_simt_shared && __stop_hep2_simt_shared)
    std::memset(__start_hep2_simt_shared, 0xFF,
                size_t(__stop_hep2_simt_shared - __start_hep2_simt_shared));
  g_dynamic.assign(dynamic_bytes, 0xFF);
}

[[noreturn]] void launch_error(const char* name, const std::string& what) {
  throw std::runtime_error(std::string("SIMT launch of ") + name + ": " + what);
}

}  // namespace

void run_grid(const char* name, dim3 grid, dim3 block, size_t shared_bytes,
              const std::function<void()>& kernel) {
  const unsigned threads = block.x * block.y * block.z;
  if (threads == 0 || threads > kMaxThreads)
    launch_error(name, "block of " + std::to_string(threads) + " threads");
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535)
    launch_error(name, "invalid grid");
  if (shared_bytes > 48 * 1024) launch_error(name, "more than 48 KiB of dynamic shared memory");

  // The pool: `threads` workers that each run the kernel once per block, between two rendezvous
  // with this thread (start: the block is set up; done: every worker has finished it). Made at
  // the first block that needs it.
  std::barrier<> start(threads + 1), done(threads + 1);
  dim3 current{0, 0, 0};
  bool stop = false;
  std::vector<std::thread> pool;
  auto start_pool = [&] {
    pool.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
        blockDim = block;
        gridDim = grid;
        for (;;) {
          start.arrive_and_wait();
          if (stop) return;
          blockIdx = current;
          kernel();
          g_sync->arrive_and_drop();
          done.arrive_and_wait();
        }
      });
    }
  };

  // A block's threads run as real threads when they may meet at a barrier: in the first and the
  // last block (often a partial one), and in every block of a launch whose first block called
  // __syncthreads. The other blocks of a barrier-free launch run their threads one after another
  // on this thread, a schedule CUDA allows as well, and hundreds of times faster (waking 256
  // threads costs about a millisecond). Should such a block call __syncthreads after all, the
  // launch fails with an error instead of running on.
  const size_t blocks = size_t(grid.x) * grid.y * grid.z;
  g_barriers = 0;
  size_t index = 0;
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x, ++index) {
        current = dim3(x, y, z);
        poison_shared(shared_bytes);
        if (index == 0 || index + 1 == blocks || g_barriers > 0) {
          if (pool.empty()) start_pool();
          g_sync.emplace(threads);
          start.arrive_and_wait();
          done.arrive_and_wait();
        } else {
          g_sequential = true;
          const dim3 saved_thread = threadIdx, saved_block = blockIdx;
          blockDim = block;
          gridDim = grid;
          blockIdx = current;
          for (unsigned t = 0; t < threads; ++t) {
            threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
            kernel();
          }
          threadIdx = saved_thread, blockIdx = saved_block;
          g_sequential = false;
        }
        g_blocks.fetch_add(1, std::memory_order_relaxed);
      }
  if (!pool.empty()) {
    stop = true;
    start.arrive_and_wait();
    for (std::thread& t : pool) t.join();
  }
  g_sync.reset();
}

void* dynamic_shared() { return g_dynamic.data(); }

size_t blocks_run() { return g_blocks.load(); }

double block_sum(double v) {
  if (blockDim.x * blockDim.y * blockDim.z != unsigned(kReduceThreads))
    throw std::logic_error("block_sum needs a block of exactly 256 threads");
  const int t = int(threadIdx.x);
  g_reduce_slots[t] = v;
  __syncthreads();
  if (t != 0) return NAN;
  double warp_sums[kReduceThreads / kWarp];
  for (int w = 0; w < kReduceThreads / kWarp; ++w) {
    double lane[kWarp];
    for (int l = 0; l < kWarp; ++l) lane[l] = g_reduce_slots[w * kWarp + l];
    // Shuffle-down steps: lane l adds lane l + offset (lanes past the end leave it unchanged,
    // which only affects lanes that do not feed lane 0).
    for (int offset = 1; offset < kWarp; offset *= 2)
      for (int l = 0; l + offset < kWarp; ++l) lane[l] = lane[l] + lane[l + offset];
    warp_sums[w] = lane[0];
  }
  double total = warp_sums[0];
  for (int w = 1; w < kReduceThreads / kWarp; ++w) total = total + warp_sums[w];
  return total;
}

}  // namespace hep2::simt

void __syncthreads() {
  if (hep2::simt::g_sequential)
    throw std::logic_error("SIMT: __syncthreads in a block after a first block that never called it");
  hep2::simt::g_barriers.fetch_add(1, std::memory_order_relaxed);
  hep2::simt::g_sync->arrive_and_wait();
}
