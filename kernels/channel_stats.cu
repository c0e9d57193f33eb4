// Texture statistics of feature maps: per (sample, channel) item the mean, max and population
// standard deviation of its positions, in double, with explicitly rounded operations (no fused
// multiply-add) in position order: the CPU backend's bits, no atomics, no cross-thread order.
//
// Variants (the slow clear one first):
//  - one thread per item reading its own positions: the obvious form, but the 32 threads of a
//    warp then read 32 different rows `positions` floats apart, one cache line each per step
//    (uncoalesced);
//  - this file: a block of kItems threads owns kItems consecutive items, whose values are one
//    contiguous stretch of memory (items are rows of `positions` floats). The block stages them
//    kChunk positions at a time through shared memory with coalesced loads (consecutive threads,
//    consecutive addresses), then each thread reduces its own item's row of the tile in position
//    order, exactly as the one-thread form and the CPU do. Two passes over the data (the mean,
//    then the squared deviations from it), each reading global memory once.
// Launch: ceil(items / kItems) blocks of kItems threads, kItems x (kChunk + 1) floats of shared
// memory (the +1 pitch keeps a warp's row reads on 32 different banks).
#include "channel_stats.cuh"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

constexpr int kItems = 128;  // items (= threads) per block
constexpr int kChunk = 32;   // positions staged per step: one 128-byte line per item
constexpr int kPitch = kChunk + 1;

// Loads positions [p0, p0 + len) of the block's items into tile (row t: item first + t).
__device__ void stage(const float* x, size_t first, int items_here, int positions, int p0, int len,
                      float* tile) {
  for (int e = threadIdx.x; e < items_here * kChunk; e += blockDim.x) {
    const int t = e / kChunk, p = e % kChunk;
    if (p < len) tile[t * kPitch + p] = x[(first + size_t(t)) * size_t(positions) + size_t(p0 + p)];
  }
}

__global__ void channel_stats_kernel(int batch, int channels, int positions, const float* x,
                                     float weight, float* out) {
  __shared__ float tile[kItems * kPitch];
  const size_t items = size_t(batch) * size_t(channels);
  const size_t first = size_t(blockIdx.x) * kItems;
  const int items_here = int(items - first < size_t(kItems) ? items - first : size_t(kItems));
  const int t = threadIdx.x;
  const bool mine = t < items_here;
  const float* row = tile + t * kPitch;

  double sum = 0.0;
  float top = 0.f;
  for (int p0 = 0; p0 < positions; p0 += kChunk) {
    const int len = positions - p0 < kChunk ? positions - p0 : kChunk;
    __syncthreads();  // the tile's previous contents have been read
    stage(x, first, items_here, positions, p0, len, tile);
    __syncthreads();
    if (!mine) continue;
    if (p0 == 0) top = row[0];
    for (int p = 0; p < len; ++p) {
      const float v = row[p];
      sum = __dadd_rn(sum, double(v));
      top = v > top ? v : top;
    }
  }
  const double mean = __ddiv_rn(sum, double(positions));
  double sq = 0.0;
  for (int p0 = 0; p0 < positions; p0 += kChunk) {
    const int len = positions - p0 < kChunk ? positions - p0 : kChunk;
    __syncthreads();
    stage(x, first, items_here, positions, p0, len, tile);
    __syncthreads();
    if (!mine) continue;
    for (int p = 0; p < len; ++p) {
      const double d = __dsub_rn(double(row[p]), mean);
      sq = __dadd_rn(sq, __dmul_rn(d, d));
    }
  }
  if (!mine) return;
  const size_t i = first + size_t(t);
  const int n = int(i / size_t(channels)), c = int(i % size_t(channels));
  const float sd = float(__dsqrt_rn(__ddiv_rn(sq, double(positions))));
  float* o = out + size_t(n) * 3 * size_t(channels);
  o[c] = __fadd_rn(o[c], __fmul_rn(weight, float(mean)));
  o[channels + c] = __fadd_rn(o[channels + c], __fmul_rn(weight, top));
  o[2 * channels + c] = __fadd_rn(o[2 * channels + c], __fmul_rn(weight, sd));
}

}  // namespace

void channel_stats(cudaStream_t stream, int batch, int channels, int positions, const float* x,
                   float weight, float* out) {
  const size_t items = size_t(batch) * size_t(channels);
  if (items == 0 || positions <= 0) return;
  const unsigned blocks = unsigned((items + kItems - 1) / kItems);
  launch("channel_stats", blocks, kItems, 0, stream, channel_stats_kernel, batch, channels,
         positions, x, weight, out);
}

}  // namespace hep2::kernels
