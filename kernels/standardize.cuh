// Feature standardisation kernel: y[r, c] = (x[r, c] - mean[c]) * inv_std[c]; host-side launcher.
#pragma once
#include <cuda_runtime_api.h>

namespace hep2::kernels {

void standardize_columns(cudaStream_t stream, int rows, int cols, const float* x,
                         const float* mean, const float* inv_std, float* y);

}  // namespace hep2::kernels
