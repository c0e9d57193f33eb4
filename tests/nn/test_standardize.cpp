// The feature scaler's ops: standardize_columns and column_sums on the CPU against their
// definitions, and on the GPU against the CPU (skipped without a device).
#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

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

// Rows named out of order, one twice, over a width that is not a multiple of the CPU's 64-column
// blocks; values of mixed sign and magnitude so the order of the additions shows in the bits.
struct SumsCase {
  int rows = 29, cols = 131;
  std::vector<float> x;
  std::vector<int32_t> pick = {7, 3, 28, 3, 0, 15, 22, 9, 1};
  SumsCase() {
    Rng rng(11);
    for (int i = 0; i < rows * cols; ++i)
      x.push_back(float(rng.uniform(-1, 1) * std::pow(10.0, rng.uniform(-3, 3))));
  }
  std::pair<std::vector<double>, std::vector<double>> run(Backend& be, int count) const {
    Buffer<float> bx(be, x.size());
    Buffer<int32_t> bp(be, pick.size());
    Buffer<double> bs(be, size_t(cols)), bq(be, size_t(cols));
    be.upload(bx.data(), x.data(), bx.bytes());
    be.upload(bp.data(), pick.data(), bp.bytes());
    be.column_sums(cols, bx.data(), bp.data(), count, bs.data(), bq.data());
    std::vector<double> s(static_cast<size_t>(cols)), q(static_cast<size_t>(cols));
    be.download(s.data(), bs.data(), bs.bytes());
    be.download(q.data(), bq.data(), bq.bytes());
    return {s, q};
  }
};

TEST(CpuOpsColumnSums, AddsTheNamedRowsInOrderInDouble) {
  SumsCase c;
  for (int threads : {1, 2}) {
    auto be = make_cpu_backend(threads);
    auto [s, q] = c.run(*be, int(c.pick.size()));
    for (int j = 0; j < c.cols; ++j) {
      double want_s = 0.0, want_q = 0.0;
      for (int32_t r : c.pick) {
        double v = c.x[size_t(r) * c.cols + j];
        want_s += v;
        double sq = v * v;  // rounded on its own, as the op must (no fused multiply-add)
        want_q += sq;
      }
      ASSERT_EQ(s[j], want_s) << "column " << j << ", " << threads << " threads";
      ASSERT_EQ(q[j], want_q) << "column " << j << ", " << threads << " threads";
    }
  }
}

TEST(CpuOpsColumnSums, NoRowsGiveZeros) {
  SumsCase c;
  auto be = make_cpu_backend(2);
  auto [s, q] = c.run(*be, 0);
  EXPECT_EQ(s, std::vector<double>(size_t(c.cols), 0.0));
  EXPECT_EQ(q, std::vector<double>(size_t(c.cols), 0.0));
}

TEST(GpuOpsColumnSums, MatchesCpuExactly) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device: GPU test skipped";
  SumsCase c;
  auto cpu = make_cpu_backend(1);
  auto gpu = make_cuda_backend(0);
  for (int count : {0, 1, int(c.pick.size())})
    EXPECT_EQ(c.run(*cpu, count), c.run(*gpu, count)) << count << " rows";
}

}  // namespace
}  // namespace hep2
