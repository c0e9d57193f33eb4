// The weighted sum in rank order on the host (compiled without FMA contraction, so that each
// product and each sum is rounded as the GPU kernel's __fmul_rn/__fadd_rn are).
#include "hep2/core/error.h"
#include "hep2/dist/gradient_sum.h"

namespace hep2::dist {

void sum_in_rank_order(const float* gathered, int ranks, size_t width, float* out) {
  HEP2_CHECK(ranks >= 1 && width >= 2, ranks, " ranks of ", width, " floats");
  const size_t n = width - 1;
  float total = 0.f;
  for (int r = 0; r < ranks; ++r) total += gathered[size_t(r) * width + n];
  HEP2_CHECK(total > 0.f, "a global batch of ", total, " cells");
  for (size_t j = 0; j < n; ++j) {
    float acc = (gathered[n] / total) * gathered[j];
    for (int r = 1; r < ranks; ++r) {
      const float* row = gathered + size_t(r) * width;
      acc = acc + (row[n] / total) * row[j];
    }
    out[j] = acc;
  }
}

}  // namespace hep2::dist
