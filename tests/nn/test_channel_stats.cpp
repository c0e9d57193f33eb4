// The texture-statistics op channel_stats: on the CPU against its definition (mean, max and
// population standard deviation per sample and channel, added with a weight), independent of the
// thread count; on the GPU bit-for-bit against the CPU (skipped without a device).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/arena.h"
#include "hep2/core/error.h"
#include "hep2/core/rng.h"

namespace hep2 {
namespace {

struct Maps {
  int batch = 5, channels = 7, positions = 37;
  std::vector<float> x, start;  // maps, and what `out` holds before the call
  Maps() {
    Rng rng(11);
    // ReLU-like maps: a third of the values zero, the rest spread over two decades.
    for (int i = 0; i < batch * channels * positions; ++i)
      x.push_back(rng.uniform(0, 1) < 0.33 ? 0.f : float(rng.uniform(0, 1) * rng.uniform(0.1, 10)));
    for (int i = 0; i < batch * 3 * channels; ++i) start.push_back(float(rng.uniform(-1, 1)));
  }
  // out after channel_stats(weight) for every weight in turn, from `start`.
  std::vector<float> run(Backend& be, const std::vector<float>& weights) const {
    Buffer<float> bx(be, x.size()), bo(be, start.size());
    be.upload(bx.data(), x.data(), bx.bytes());
    be.upload(bo.data(), start.data(), bo.bytes());
    for (float w : weights) be.channel_stats(batch, channels, positions, bx.data(), w, bo.data());
    std::vector<float> out(start.size());
    be.download(out.data(), bo.data(), bo.bytes());
    return out;
  }
};

TEST(CpuOpsChannelStats, AddsMeanMaxAndStdOfEveryChannel) {
  Maps m;
  auto be = make_cpu_backend(2);
  const float w = 0.375f;
  std::vector<float> out = m.run(*be, {w});
  for (int n = 0; n < m.batch; ++n)
    for (int c = 0; c < m.channels; ++c) {
      const float* v = m.x.data() + (n * m.channels + c) * m.positions;
      double sum = 0, top = v[0];
      for (int p = 0; p < m.positions; ++p) sum += v[p], top = std::max<double>(top, v[p]);
      const double mean = sum / m.positions;
      double sq = 0;
      for (int p = 0; p < m.positions; ++p) sq += (v[p] - mean) * (v[p] - mean);
      const double sd = std::sqrt(sq / m.positions);
      const int row = n * 3 * m.channels;
      const double want[3] = {mean, top, sd};
      for (int k = 0; k < 3; ++k) {
        const int i = row + k * m.channels + c;
        const double expect = m.start[i] + w * want[k];
        ASSERT_NEAR(out[i], expect, 1e-6 * (1 + std::fabs(expect))) << n << "," << c << "," << k;
      }
    }
}

TEST(CpuOpsChannelStats, WeightsAverageViewsAndTheThreadCountChangesNoBit) {
  Maps m;
  auto one = make_cpu_backend(1), two = make_cpu_backend(2);
  std::fill(m.start.begin(), m.start.end(), 0.f);
  std::vector<float> halves = m.run(*one, {0.5f, 0.5f}), whole = m.run(*one, {1.f});
  EXPECT_EQ(halves, whole);  // from zero: s/2 is exact, and s/2 + s/2 = s
  EXPECT_EQ(m.run(*two, {0.5f, 0.25f}), m.run(*one, {0.5f, 0.25f}));
}

TEST(CpuOpsChannelStats, ConstantMapsHaveZeroDeviationAndEmptyMapsAreRefused) {
  auto be = make_cpu_backend(1);
  std::vector<float> x(2 * 16, 3.25f), out(2 * 3, 0.f);
  Buffer<float> bx(*be, x.size()), bo(*be, out.size());
  be->upload(bx.data(), x.data(), bx.bytes());
  be->upload(bo.data(), out.data(), bo.bytes());
  be->channel_stats(2, 1, 16, bx.data(), 1.f, bo.data());
  be->download(out.data(), bo.data(), bo.bytes());
  EXPECT_EQ(out, (std::vector<float>{3.25f, 3.25f, 0.f, 3.25f, 3.25f, 0.f}));
  EXPECT_THROW(be->channel_stats(2, 1, 0, bx.data(), 1.f, bo.data()), Error);
  EXPECT_THROW(be->channel_stats(-1, 1, 16, bx.data(), 1.f, bo.data()), Error);
}

TEST(GpuOpsChannelStats, MatchesCpuExactly) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device: GPU test skipped";
  Maps m;
  auto cpu = make_cpu_backend(1);
  auto gpu = make_cuda_backend(0);
  // Explicitly rounded double sums in the same order on both sides, and float adds of w * s.
  EXPECT_EQ(m.run(*gpu, {0.125f, 0.125f, 0.75f}), m.run(*cpu, {0.125f, 0.125f, 0.75f}));
}

}  // namespace
}  // namespace hep2
