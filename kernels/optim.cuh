// Optimizer steps over one flat parameter buffer: host-side launchers, asynchronous on `stream`.
#pragma once
#include <cstddef>

#include <cuda_runtime_api.h>

#include "hep2/core/math.cuh"

namespace hep2::kernels {

// Adam(W): w, m, v updated in place; bias corrections come in h (for op tests and references).
void adam_step(cudaStream_t stream, size_t count, float* w, const float* g, float* m, float* v,
               const math::AdamHyper& h);
// SGD with momentum: w and the momentum buffer updated in place.
void sgd_step(cudaStream_t stream, size_t count, float* w, const float* g, float* buf,
              const math::SgdHyper& h);

// Training's forms: one thread advances the StepState in device memory (math::advance_step); the
// updates read their learning rate and bias corrections from it (math::at_step), so a captured
// step replays with each step's values.
void advance_step(cudaStream_t stream, math::StepState* step, const math::StepSchedule& schedule);
void adam_step_at(cudaStream_t stream, size_t count, float* w, const float* g, float* m, float* v,
                  const math::AdamHyper& h, const math::StepState* step);
void sgd_step_at(cudaStream_t stream, size_t count, float* w, const float* g, float* buf,
                 const math::SgdHyper& h, const math::StepState* step);

}  // namespace hep2::kernels
