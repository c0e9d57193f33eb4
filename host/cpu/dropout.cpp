// Inverted dropout with a counter-based mask: element i is kept when hash_uniform(seed, i) >= p,
// so the CPU and CUDA backends drop the same elements for the same seed.
#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"
#include "hep2/core/error.h"
#include "hep2/core/rng.h"

namespace hep2::cpu {

void CpuBackend::dropout_forward(size_t count, float p, uint64_t seed, const float* x, float* mask,
                                 float* y) {
  if (!(p >= 0.f && p < 1.f))
    fail("cpu dropout_forward: drop probability ", p, " is outside [0, 1)");
  const float keep_scale = 1.f / (1.f - p);
  run_ranges(*pool_, elementwise_workers(count), count, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const float m = hash_uniform(seed, i) >= p ? keep_scale : 0.f;
      mask[i] = m;
      y[i] = x[i] * m;
    }
  });
}

void CpuBackend::dropout_backward(size_t count, const float* mask, const float* dy, float* dx) {
  run_ranges(*pool_, elementwise_workers(count), count, [&](size_t begin, size_t end) {
#pragma omp simd
    for (size_t i = begin; i < end; ++i) dx[i] = dy[i] * mask[i];
  });
}

}  // namespace hep2::cpu
