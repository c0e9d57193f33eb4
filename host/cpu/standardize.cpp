// Feature standardisation on the CPU: (x - mean) * inv_std per column, rows split over threads.
#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"
#include "hep2/core/math.cuh"

namespace hep2::cpu {

void CpuBackend::standardize_columns(int rows, int cols, const float* x, const float* mean,
                                     const float* inv_std, float* y) {
  check_standardize_columns(rows, cols);
  const size_t r = size_t(rows), c = size_t(cols);
  run_ranges(*pool_, elementwise_workers(r * c), r, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i)
      for (size_t j = 0; j < c; ++j)
        y[i * c + j] = math::standardize(x[i * c + j], mean[j], inv_std[j]);
  });
}

}  // namespace hep2::cpu
