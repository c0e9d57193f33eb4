// The optimiser's step counter in the backend's memory (math::StepState; a plain host value on the
// CPU backend): each step advances it, Adam's bias correction and the warm-up ramp read it, and
// set_steps() (a checkpoint's count) puts it where the next update expects it. What a CUDA graph
// of a training step relies on, checked where it can run: on the CPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/nn/models.h"
#include "hep2/nn/optimizer.h"
#include "hep2/nn/trainer.h"

namespace hep2 {
namespace {

constexpr size_t kCount = 37;

// One Adam update of a fresh block (params p, gradients g, zero moments) by an optimiser whose
// counter stood at `t_before`.
std::vector<float> one_update(Backend& be, long t_before, const std::vector<float>& p,
                              const std::vector<float>& g) {
  ParamBlock block(be, kCount);
  block.set_params(be, p);
  be.upload(block.grads(), g.data(), g.size() * sizeof(float));
  Optimizer opt(be, OptimizerConfig{});
  opt.set_steps(t_before);
  opt.step(block);
  EXPECT_EQ(opt.steps(), t_before + 1);
  return block.get_params(be);
}

// The same update by hand, with the bias corrections of step t (1-based).
std::vector<float> expected_update(long t, const std::vector<float>& p, const std::vector<float>& g) {
  const OptimizerConfig c;
  math::AdamHyper h;
  h.lr = c.lr;
  h.beta1 = float(c.beta1);
  h.beta2 = float(c.beta2);
  h.eps = c.eps;
  h.omb1 = float(1.0 - c.beta1);
  h.omb2 = float(1.0 - c.beta2);
  h.bc1 = float(1.0 - std::pow(c.beta1, double(t)));
  h.bc2 = float(1.0 - std::pow(c.beta2, double(t)));
  std::vector<float> w = p;
  for (size_t i = 0; i < kCount; ++i) {
    float m = 0, v = 0;
    math::adam_update(w[i], g[i], m, v, h);
  }
  return w;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::vector<float> random_values(uint64_t seed, size_t n) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(rng.uniform(-1, 1));
  return v;
}

TEST(StepCounter, AdamBiasCorrectionReadsTheCounter) {
  auto be = make_cpu_backend(1);
  const std::vector<float> p = random_values(1, kCount), g = random_values(2, kCount);
  // With zero moments, step t moves w by lr * (g / bc1) / (|g| / sqrt(bc2) + eps): the size of the
  // move depends on t through the bias corrections, so a counter that is not read (or read at
  // the wrong step) gives other bits.
  const std::vector<float> first = one_update(*be, 0, p, g);
  const std::vector<float> later = one_update(*be, 9, p, g);
  EXPECT_TRUE(same_bits(first, expected_update(1, p, g))) << "step 1";
  EXPECT_TRUE(same_bits(later, expected_update(10, p, g))) << "step 10";
  EXPECT_FALSE(same_bits(first, later)) << "the bias correction ignored the step counter";
}

TEST(StepCounter, NStepsLeaveTheCounterAtN) {
  auto be = make_cpu_backend(1);
  MlpConfig cfg;
  cfg.inputs = 12;
  cfg.hidden = {8};
  cfg.classes = 3;
  Trainer t(*be, build_mlp(cfg), 4, OptimizerConfig{});
  t.init(InitScheme::Torch, 3);
  const std::vector<float> x = random_values(4, 4 * 12);
  const std::vector<int32_t> y = {0, 1, 2, 1};
  Buffer<float> bx(*be, x.size());
  Buffer<int32_t> by(*be, y.size());
  be->upload(bx.data(), x.data(), bx.bytes());
  be->upload(by.data(), y.data(), by.bytes());
  EXPECT_EQ(t.optimizer().steps(), 0);
  constexpr long kSteps = 7;
  for (long s = 0; s < kSteps; ++s) t.clf_step(4, bx.data(), by.data(), 11);
  EXPECT_EQ(t.optimizer().steps(), kSteps);
  // The counter is the backend's memory itself (a host value on the CPU backend), and it holds
  // the last step's bias corrections.
  const math::StepState* state = t.optimizer().state();
  EXPECT_EQ(state->t, kSteps);
  EXPECT_EQ(state->bc1, float(1.0 - std::pow(0.9, double(kSteps))));
  EXPECT_EQ(state->bc2, float(1.0 - std::pow(0.999, double(kSteps))));
  EXPECT_EQ(state->lr, OptimizerConfig{}.lr);
  t.init(InitScheme::Torch, 3);  // a fresh start is a fresh count
  EXPECT_EQ(t.optimizer().steps(), 0);
}

TEST(StepCounter, WarmUpRampFollowsTheCounter) {
  auto be = make_cpu_backend(1);
  ParamBlock block(*be, kCount);
  Optimizer opt(*be, OptimizerConfig{});
  const float lr = OptimizerConfig{}.lr;
  // A ramp over 4 steps that started when the counter stood at 2 (e.g. a resumed run): the
  // counter's steps 3, 4, 5, 6 are the ramp's 1..4, then the full rate.
  opt.set_steps(2);
  opt.set_warmup(4, 2);
  const float expected[] = {lr * float(1.0 / 4), lr * float(2.0 / 4), lr * float(3.0 / 4), lr, lr};
  for (float e : expected) {
    opt.step(block);
    EXPECT_EQ(opt.state()->lr, e) << "at step " << opt.state()->t;
  }
  EXPECT_EQ(opt.steps(), 7);
}

TEST(StepCounter, StepGraphsAreRefusedOnTheCpuBackend) {
  auto be = make_cpu_backend(1);
  EXPECT_FALSE(be->can_capture());
  MlpConfig cfg;
  cfg.inputs = 4;
  cfg.classes = 2;
  Trainer t(*be, build_mlp(cfg), 2, OptimizerConfig{});
  try {
    t.set_step_graphs(true);
    FAIL() << "the CPU backend cannot capture";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("need the CUDA backend"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(t.step_graphs());
  EXPECT_THROW(be->capture([] {}), Error);
}

}  // namespace
}  // namespace hep2
