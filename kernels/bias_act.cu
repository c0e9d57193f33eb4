// Bias + activation epilogue and the bias-gradient reductions. The reductions are deterministic:
// every sum is split the same way for a given shape and added in a fixed order, with no atomics.
//
// channel_sum (convolution bias gradient, a sum over batch x plane per channel) runs in two passes:
//  1. a grid of chunks x channels blocks: block (k, c) sums the k-th fixed stretch of channel c's
//     batch x plane values (CUB's block reduction, in double) into partial[c * chunks + k];
//  2. one thread per channel adds its chunks' partial sums in order k = 0, 1, ...
// The number of chunks depends on the shape only (about kChunkValues values each, at most
// kMaxChunks), so even the last decoder layer (one channel over the whole batch) spreads over
// dozens of blocks instead of one.
#include "bias_act.cuh"
#include "hep2/core/math.cuh"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

constexpr size_t kChunkValues = 4096;  // 16 values per thread of a 256-thread block
constexpr size_t kMaxChunks = 256;

__global__ void bias_act_kernel(float* y, const float* bias, bool relu, size_t count, int channels,
                                size_t plane) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    float v = y[i];
    if (bias) v += bias[(i / plane) % size_t(channels)];
    if (relu) v = math::relu(v);
    y[i] = v;
  }
}

// Pass 1. The stretch is walked as one flat (image, position) range so that neighbouring threads
// read neighbouring addresses even when the plane is small.
__global__ void channel_partial_kernel(const float* dy, int n, int channels, size_t plane,
                                       size_t per_chunk, double* partial) {
  const size_t chunks = gridDim.x, k = blockIdx.x;
  const int c = blockIdx.y;
  const size_t total = size_t(n) * plane;
  const size_t begin = k * per_chunk, end = begin + per_chunk < total ? begin + per_chunk : total;
  double acc = 0.0;
  for (size_t j = begin + threadIdx.x; j < end; j += blockDim.x) {
    const size_t image = j / plane, p = j % plane;
    acc += dy[(image * size_t(channels) + size_t(c)) * plane + p];
  }
  const double sum = block_sum(acc);
  if (threadIdx.x == 0) partial[size_t(c) * chunks + k] = sum;
}

// Pass 2.
__global__ void channel_total_kernel(const double* partial, size_t chunks, int channels,
                                     float* out) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= channels) return;
  double sum = 0.0;
  for (size_t k = 0; k < chunks; ++k) sum += partial[size_t(c) * chunks + k];
  out[c] = float(sum);
}

// One thread per column: a warp reads one contiguous stretch of a row per step.
__global__ void column_sum_kernel(const float* dy, int rows, int cols, float* out) {
  int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= cols) return;
  double acc = 0.0;
  for (int r = 0; r < rows; ++r) acc += dy[size_t(r) * cols + j];
  out[j] = float(acc);
}

struct ChannelSplit {
  size_t chunks, per_chunk;
};
ChannelSplit channel_split(int n, size_t plane) {
  const size_t total = size_t(n > 0 ? n : 0) * plane;
  size_t chunks = (total + kChunkValues - 1) / kChunkValues;
  chunks = chunks < 1 ? 1 : chunks > kMaxChunks ? kMaxChunks : chunks;
  const size_t per_chunk = (total + chunks - 1) / chunks;
  return {chunks, per_chunk < 1 ? 1 : per_chunk};
}

}  // namespace

void bias_act(cudaStream_t stream, float* y, const float* bias, bool relu, int n, int channels,
              size_t plane) {
  size_t count = size_t(n) * size_t(channels) * plane;
  if (count == 0 || (!bias && !relu)) return;
  launch("bias_act", grid_for(count), kThreads, 0, stream, bias_act_kernel, y, bias, relu, count,
         channels, plane);
}

size_t channel_sum_scratch_bytes(int n, int channels, size_t plane) {
  if (channels <= 0) return 0;
  return channel_split(n, plane).chunks * size_t(channels) * sizeof(double);
}

void channel_sum(cudaStream_t stream, const float* dy, int n, int channels, size_t plane,
                 float* out, void* scratch) {
  if (channels <= 0) return;
  const ChannelSplit s = channel_split(n, plane);
  double* partial = static_cast<double*>(scratch);
  launch("channel_sum (partial sums)", dim3(unsigned(s.chunks), unsigned(channels)), kThreads, 0,
         stream, channel_partial_kernel, dy, n, channels, plane, s.per_chunk, partial);
  const unsigned blocks = unsigned((channels + kThreads - 1) / kThreads);
  launch("channel_sum (totals)", blocks, kThreads, 0, stream, channel_total_kernel,
         static_cast<const double*>(partial), s.chunks, channels, out);
}

void column_sum(cudaStream_t stream, const float* dy, int rows, int cols, float* out) {
  if (cols <= 0) return;
  unsigned blocks = unsigned((cols + kThreads - 1) / kThreads);
  launch("column_sum", blocks, kThreads, 0, stream, column_sum_kernel, dy, rows, cols, out);
}

}  // namespace hep2::kernels
