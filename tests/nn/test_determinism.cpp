// Rung "determinism": the same seed and thread count give the same bits, for DCAE and MLP
// training on the CPU backend; a different seed gives different parameters (so the test would
// notice a seed that is ignored). DCAE training, whose layers all run on the convolution paths,
// gives the same bits at any thread count (docs/performance.md).
#include <gtest/gtest.h>

#include <cstring>

#include "hep2/core/rng.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"

namespace hep2 {
namespace {

std::vector<float> train_dcae(uint64_t seed, int threads) {
  auto be = make_cpu_backend(threads);
  DcaeConfig cfg;
  cfg.height = cfg.width = 32;
  cfg.channels = {8, 16, 16};
  Dcae m = build_dcae(cfg);
  Trainer t(*be, std::move(m.net), 8, OptimizerConfig{});
  t.init(InitScheme::Torch, seed);
  Rng rng(42);
  std::vector<float> x(8 * 32 * 32);
  for (float& v : x) v = float(rng.uniform());
  Buffer<float> bx(*be, x.size());
  be->upload(bx.data(), x.data(), x.size() * sizeof(float));
  for (int s = 0; s < 3; ++s) t.ae_step(8, bx.data());
  return t.block().get_all(*be);
}

std::vector<float> train_mlp(uint64_t seed, int threads) {
  auto be = make_cpu_backend(threads);
  MlpConfig cfg;
  cfg.inputs = 64;
  cfg.classes = 4;
  cfg.dropout = 0.5f;
  Trainer t(*be, build_mlp(cfg), 16, OptimizerConfig{});
  t.init(InitScheme::Torch, seed);
  Rng rng(43);
  std::vector<float> x(16 * 64);
  for (float& v : x) v = float(rng.uniform());
  std::vector<int32_t> y(16);
  for (int i = 0; i < 16; ++i) y[i] = i % 4;
  Buffer<float> bx(*be, x.size());
  Buffer<int32_t> by(*be, y.size());
  be->upload(bx.data(), x.data(), x.size() * sizeof(float));
  be->upload(by.data(), y.data(), y.size() * sizeof(int32_t));
  for (int s = 0; s < 3; ++s) t.clf_step(16, bx.data(), by.data(), seed + s);
  return t.block().get_all(*be);
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(Determinism, DcaeTrainingIsBitExactForSameSeedAndThreads) {
  EXPECT_TRUE(same_bits(train_dcae(7, 2), train_dcae(7, 2)));
  EXPECT_TRUE(same_bits(train_dcae(7, 1), train_dcae(7, 1)));
  EXPECT_FALSE(same_bits(train_dcae(7, 2), train_dcae(8, 2)));
}

TEST(Determinism, DcaeTrainingHasTheSameBitsAtAnyThreadCount) {
  const std::vector<float> one = train_dcae(7, 1);
  EXPECT_TRUE(same_bits(train_dcae(7, 2), one));
  EXPECT_TRUE(same_bits(train_dcae(7, 3), one));
}

TEST(Determinism, MlpTrainingWithDropoutIsBitExact) {
  EXPECT_TRUE(same_bits(train_mlp(3, 2), train_mlp(3, 2)));
  EXPECT_FALSE(same_bits(train_mlp(3, 2), train_mlp(4, 2)));
}

}  // namespace
}  // namespace hep2
