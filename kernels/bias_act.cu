// Bias + activation epilogue and the bias-gradient reductions. The reductions are deterministic:
// each output is summed by one block (or one thread) in a fixed order, with no atomics.
#include "bias_act.cuh"

#include "cuda/check.h"
#include "hep2/core/math.cuh"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

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

// One block per channel; the batch and the plane are walked as one flat range so that
// neighbouring threads read neighbouring addresses even when the plane is small.
__global__ void channel_sum_kernel(const float* dy, int n, int channels, size_t plane, float* out) {
  const int c = blockIdx.x;
  const size_t total = size_t(n) * plane;
  double acc = 0.0;
  for (size_t j = threadIdx.x; j < total; j += blockDim.x) {
    size_t image = j / plane, p = j % plane;
    acc += dy[(image * channels + c) * plane + p];
  }
  double sum = block_sum(acc);
  if (threadIdx.x == 0) out[c] = float(sum);
}

// One thread per column: a warp reads one contiguous stretch of a row per step.
__global__ void column_sum_kernel(const float* dy, int rows, int cols, float* out) {
  int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= cols) return;
  double acc = 0.0;
  for (int r = 0; r < rows; ++r) acc += dy[size_t(r) * cols + j];
  out[j] = float(acc);
}

}  // namespace

void bias_act(cudaStream_t stream, float* y, const float* bias, bool relu, int n, int channels,
              size_t plane) {
  size_t count = size_t(n) * size_t(channels) * plane;
  if (count == 0 || (!bias && !relu)) return;
  bias_act_kernel<<<grid_for(count), kThreads, 0, stream>>>(y, bias, relu, count, channels, plane);
  HEP2_LAUNCH_CHECK("bias_act");
}

void channel_sum(cudaStream_t stream, const float* dy, int n, int channels, size_t plane,
                 float* out) {
  if (channels <= 0) return;
  channel_sum_kernel<<<unsigned(channels), kThreads, 0, stream>>>(dy, n, channels, plane, out);
  HEP2_LAUNCH_CHECK("channel_sum");
}

void column_sum(cudaStream_t stream, const float* dy, int rows, int cols, float* out) {
  if (cols <= 0) return;
  unsigned blocks = unsigned((cols + kThreads - 1) / kThreads);
  column_sum_kernel<<<blocks, kThreads, 0, stream>>>(dy, rows, cols, out);
  HEP2_LAUNCH_CHECK("column_sum");
}

}  // namespace hep2::kernels
