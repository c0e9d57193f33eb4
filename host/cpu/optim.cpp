// Optimizer steps over one flat parameter buffer, element by element with the update rules of
// core/math.cuh (shared with the CUDA kernels); the step state is a host value on this backend.
#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace hep2::cpu {

void CpuBackend::adam_step(size_t count, float* w, const float* g, float* m, float* v,
                           const math::AdamHyper& h) {
  run_ranges(*pool_, elementwise_workers(count), count, [&](size_t begin, size_t end) {
#pragma omp simd
    for (size_t i = begin; i < end; ++i) math::adam_update(w[i], g[i], m[i], v[i], h);
  });
}

void CpuBackend::sgd_step(size_t count, float* w, const float* g, float* buf,
                          const math::SgdHyper& h) {
  run_ranges(*pool_, elementwise_workers(count), count, [&](size_t begin, size_t end) {
#pragma omp simd
    for (size_t i = begin; i < end; ++i) math::sgd_update(w[i], g[i], buf[i], h);
  });
}

void CpuBackend::advance_step(math::StepState* step, const math::StepSchedule& schedule) {
  math::advance_step(*step, schedule);
}

void CpuBackend::adam_step_at(size_t count, float* w, const float* g, float* m, float* v,
                              const math::AdamHyper& h, const math::StepState* step) {
  adam_step(count, w, g, m, v, math::at_step(h, *step));
}

void CpuBackend::sgd_step_at(size_t count, float* w, const float* g, float* buf,
                             const math::SgdHyper& h, const math::StepState* step) {
  sgd_step(count, w, g, buf, math::at_step(h, *step));
}

}  // namespace hep2::cpu
