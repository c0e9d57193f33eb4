// Optimizer steps over one flat parameter buffer: host-side launchers, asynchronous on `stream`.
#pragma once
#include <cstddef>

#include <cuda_runtime_api.h>

#include "hep2/core/math.cuh"

namespace hep2::kernels {

// Adam(W): w, m, v updated in place; bias corrections come in h (computed on the host per step).
void adam_step(cudaStream_t stream, size_t count, float* w, const float* g, float* m, float* v,
               const math::AdamHyper& h);
// SGD with momentum: w and the momentum buffer updated in place.
void sgd_step(cudaStream_t stream, size_t count, float* w, const float* g, float* buf,
              const math::SgdHyper& h);

}  // namespace hep2::kernels
