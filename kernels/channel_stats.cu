// Texture statistics of feature maps. One thread per (sample, channel) reduces its positions in
// order, in double, with explicitly rounded operations (no fused multiply-add), so the result has
// the CPU backend's bits; no atomics, no cross-thread order. The work is small (a batch of 64
// cells x 64 channels x 256 positions is one pass over 4 MB), so the strided reads of a thread
// per channel cost little beside the convolutions that produced the maps.
#include "channel_stats.cuh"

#include "cuda/check.h"

namespace hep2::kernels {

namespace {

constexpr int kStatThreads = 128;

__global__ void channel_stats_kernel(int batch, int channels, int positions, const float* x,
                                     float weight, float* out) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= batch * channels) return;
  const int n = i / channels, c = i % channels;
  const float* v = x + size_t(i) * size_t(positions);
  double sum = 0.0;
  float top = v[0];
  for (int p = 0; p < positions; ++p) {
    sum = __dadd_rn(sum, double(v[p]));
    top = v[p] > top ? v[p] : top;
  }
  const double mean = __ddiv_rn(sum, double(positions));
  double sq = 0.0;
  for (int p = 0; p < positions; ++p) {
    const double d = __dsub_rn(double(v[p]), mean);
    sq = __dadd_rn(sq, __dmul_rn(d, d));
  }
  const float sd = float(__dsqrt_rn(__ddiv_rn(sq, double(positions))));
  float* row = out + size_t(n) * 3 * size_t(channels);
  row[c] = __fadd_rn(row[c], __fmul_rn(weight, float(mean)));
  row[channels + c] = __fadd_rn(row[channels + c], __fmul_rn(weight, top));
  row[2 * channels + c] = __fadd_rn(row[2 * channels + c], __fmul_rn(weight, sd));
}

}  // namespace

void channel_stats(cudaStream_t stream, int batch, int channels, int positions, const float* x,
                   float weight, float* out) {
  const int items = batch * channels;
  if (items <= 0) return;
  const unsigned blocks = unsigned((items + kStatThreads - 1) / kStatThreads);
  channel_stats_kernel<<<blocks, kStatThreads, 0, stream>>>(batch, channels, positions, x, weight,
                                                           out);
  HEP2_LAUNCH_CHECK("channel_stats");
}

}  // namespace hep2::kernels
