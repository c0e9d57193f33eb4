// Column sums and sums of squares over chosen rows (the feature scaler's statistics) on the CPU.
// Columns are split over threads; every column is added row by row in the order given, in
// double, so the result does not depend on the thread count and equals the CUDA kernel's bits.
// This file is built with -ffp-contract=off: a fused multiply-add in x*x + s would round
// differently from the GPU (which is told not to fuse) and from the host loop this replaced.
#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"
#include "hep2/core/error.h"

namespace hep2::cpu {

void CpuBackend::column_sums(int cols, const float* x, const int32_t* rows, int count,
                             double* sum, double* sum_sq) {
  check_column_sums(cols, count);
  for (int k = 0; k < count; ++k)
    if (rows[k] < 0) fail("column_sums: row index ", rows[k], " at position ", k, " is negative");
  const size_t c = size_t(cols);
  // Blocks of 64 columns: each row contributes one contiguous 256-byte run to a block.
  constexpr size_t kBlock = 64;
  const size_t blocks = (c + kBlock - 1) / kBlock;
  run_items(*pool_, threads_, blocks, [&](size_t b, int) {
    const size_t j0 = b * kBlock, j1 = std::min(c, j0 + kBlock);
    double s[kBlock] = {}, q[kBlock] = {};
    for (int k = 0; k < count; ++k) {
      const float* row = x + size_t(rows[k]) * c;
      for (size_t j = j0; j < j1; ++j) {
        double v = row[j];
        s[j - j0] += v;
        q[j - j0] += v * v;
      }
    }
    for (size_t j = j0; j < j1; ++j) {
      sum[j] = s[j - j0];
      sum_sq[j] = q[j - j0];
    }
  });
}

}  // namespace hep2::cpu
