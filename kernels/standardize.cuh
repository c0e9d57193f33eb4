// Feature standardisation kernels and their host-side launchers: the statistics (column sums and
// sums of squares over chosen rows) and the transform y[r, c] = (x[r, c] - mean[c]) * inv_std[c].
// A negative row index (which the CPU backend refuses) is skipped and reported through `error`
// (device_error.h).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace hep2::kernels {

void standardize_columns(cudaStream_t stream, int rows, int cols, const float* x,
                         const float* mean, const float* inv_std, float* y);

void column_sums(cudaStream_t stream, int cols, const float* x, const int32_t* rows, int count,
                 double* sum, double* sum_sq, unsigned* error);

}  // namespace hep2::kernels
