// Dropout kernels. The mask needs no stored random state: element i draws hash_uniform(seed, i),
// the same draw the CPU backend makes, so the masks agree bit for bit.
#include "dropout.cuh"

#include "cuda/check.h"
#include "hep2/core/rng.h"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

__global__ void dropout_forward_kernel(size_t count, float p, float scale, uint64_t seed,
                                       const float* x, float* mask, float* y) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    float m = hash_uniform(seed, i) >= p ? scale : 0.f;
    if (mask) mask[i] = m;
    y[i] = x[i] * m;
  }
}

__global__ void dropout_backward_kernel(size_t count, const float* mask, const float* dy,
                                        float* dx) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x)
    dx[i] = dy[i] * mask[i];
}

}  // namespace

void dropout_forward(cudaStream_t stream, size_t count, float p, float scale, uint64_t seed,
                     const float* x, float* mask, float* y) {
  if (count == 0) return;
  launch("dropout_forward", grid_for(count), kThreads, 0, stream, dropout_forward_kernel, count, p,
         scale, seed, x, mask, y);
}

void dropout_backward(cudaStream_t stream, size_t count, const float* mask, const float* dy,
                      float* dx) {
  if (count == 0) return;
  launch("dropout_backward", grid_for(count), kThreads, 0, stream, dropout_backward_kernel, count,
         mask, dy, dx);
}

}  // namespace hep2::kernels
