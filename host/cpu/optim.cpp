// Optimizer steps over one flat parameter buffer, element by element with the update rules of
// core/math.cuh (shared with the CUDA kernels).
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

}  // namespace hep2::cpu
