// standardize_columns on the CPU against its definition, and on the GPU against the CPU
// (skipped without a device).
#include <gtest/gtest.h>

#include "hep2/backend/backend.h"
#include "hep2/core/arena.h"
#include "hep2/core/rng.h"

namespace hep2 {
namespace {

struct Case {
  int rows = 37, cols = 13;
  std::vector<float> x, mean, inv;
  Case() {
    Rng rng(5);
    for (int i = 0; i < rows * cols; ++i) x.push_back(float(rng.uniform(-3, 5)));
    for (int j = 0; j < cols; ++j) {
      mean.push_back(float(rng.uniform(-1, 1)));
      inv.push_back(float(rng.uniform(0.1, 4)));
    }
  }
  std::vector<float> run(Backend& be, bool in_place) const {
    Buffer<float> bx(be, x.size()), by(be, x.size()), bm(be, mean.size()), bi(be, inv.size());
    be.upload(bx.data(), x.data(), bx.bytes());
    be.upload(bm.data(), mean.data(), bm.bytes());
    be.upload(bi.data(), inv.data(), bi.bytes());
    float* out = in_place ? bx.data() : by.data();
    be.standardize_columns(rows, cols, bx.data(), bm.data(), bi.data(), out);
    std::vector<float> y(x.size());
    be.download(y.data(), out, by.bytes());
    return y;
  }
};

TEST(CpuOpsStandardize, MatchesDefinitionAndWorksInPlace) {
  Case c;
  auto be = make_cpu_backend(2);
  for (bool in_place : {false, true}) {
    std::vector<float> y = c.run(*be, in_place);
    for (int i = 0; i < c.rows; ++i)
      for (int j = 0; j < c.cols; ++j) {
        double want = (double(c.x[i * c.cols + j]) - c.mean[j]) * c.inv[j];
        ASSERT_NEAR(y[i * c.cols + j], want, 1e-5 * (1 + std::fabs(want))) << i << "," << j;
      }
  }
}

TEST(GpuOpsStandardize, MatchesCpuExactly) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device: GPU test skipped";
  Case c;
  auto cpu = make_cpu_backend(1);
  auto gpu = make_cuda_backend(0);
  EXPECT_EQ(c.run(*cpu, false), c.run(*gpu, false));  // one subtraction, one product: exact
}

}  // namespace
}  // namespace hep2
