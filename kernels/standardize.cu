// Feature standardisation: a grid-stride loop over the shared formula of math.cuh.
#include "standardize.cuh"

#include "cuda/check.h"
#include "hep2/core/math.cuh"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

__global__ void standardize_kernel(size_t count, size_t cols, const float* x, const float* mean,
                                   const float* inv_std, float* y) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    size_t c = i % cols;
    y[i] = math::standardize(x[i], mean[c], inv_std[c]);
  }
}

}  // namespace

void standardize_columns(cudaStream_t stream, int rows, int cols, const float* x,
                         const float* mean, const float* inv_std, float* y) {
  size_t count = size_t(rows) * size_t(cols);
  if (count == 0) return;
  standardize_kernel<<<grid_for(count), kThreads, 0, stream>>>(count, size_t(cols), x, mean,
                                                              inv_std, y);
  HEP2_LAUNCH_CHECK("standardize_columns");
}

}  // namespace hep2::kernels
