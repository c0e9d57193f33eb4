// Inverted dropout with a counter-based mask: host-side launchers, asynchronous on `stream`.
#pragma once
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace hep2::kernels {

// mask[i] = hash_uniform(seed, i) >= p ? scale : 0, y[i] = x[i] * mask[i]. `scale` is 1 / (1 - p),
// computed once by the caller so that both backends multiply by the same float.
// mask may be null (then only y is written).
void dropout_forward(cudaStream_t stream, size_t count, float p, float scale, uint64_t seed,
                     const float* x, float* mask, float* y);
void dropout_backward(cudaStream_t stream, size_t count, const float* mask, const float* dy,
                      float* dx);

}  // namespace hep2::kernels
