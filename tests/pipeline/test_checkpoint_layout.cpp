// Checkpoints across the padded parameter layout: tests/fixtures/checkpoints/tiny_{mlp,dcae}.ckpt
// were written by hep2 when the four sections of the parameter block were still packed back to
// back (commit 993f2c6), after two optimiser steps of a small model with odd tensor sizes. The
// padded block must load them unchanged, reach the same state by the same steps, and write the
// same bytes for it: the checkpoint format does not see the padding.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "hep2/core/arena.h"
#include "hep2/core/rng.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/checkpoint.h"
#include "support/run_folder.h"

namespace hep2 {
namespace {

std::string fixture(bool dcae) {
  return std::string(HEP2_FIXTURES) + "/checkpoints/" + (dcae ? "tiny_dcae" : "tiny_mlp") + ".ckpt";
}

Network tiny_model(bool dcae) {
  if (dcae) {
    DcaeConfig cfg;
    cfg.height = cfg.width = 8;
    cfg.channels = {3, 5};  // 30 + 140 + 243 + 49 parameters per layer
    return build_dcae(cfg).net;
  }
  MlpConfig cfg;
  cfg.inputs = 7;
  cfg.hidden = {5};
  cfg.classes = 3;  // 40 + 18 parameters per layer
  return build_mlp(cfg);
}

// The recipe the fixtures were written with: seed 11, two steps (Adam, lr 1e-2) on one batch of 4.
std::vector<float> two_steps(Trainer& t, Backend& be, bool dcae) {
  const int batch = 4;
  Rng rng(77);
  t.init(InitScheme::Torch, 11);
  if (dcae) {
    std::vector<float> x(size_t(batch) * 64);
    for (float& v : x) v = float(rng.uniform());
    Buffer<float> bx(be, x.size());
    be.upload(bx.data(), x.data(), bx.bytes());
    for (int s = 0; s < 2; ++s) t.ae_step(batch, bx.data());
  } else {
    std::vector<float> x(size_t(batch) * 7);
    for (float& v : x) v = float(rng.uniform(-1, 1));
    std::vector<int32_t> y = {0, 2, 1, 2};
    Buffer<float> bx(be, x.size());
    Buffer<int32_t> by(be, y.size());
    be.upload(bx.data(), x.data(), bx.bytes());
    be.upload(by.data(), y.data(), by.bytes());
    for (int s = 0; s < 2; ++s) t.clf_step(batch, bx.data(), by.data(), 5);
  }
  return t.block().get_all(be);
}

OptimizerConfig fixture_optimizer() {
  OptimizerConfig opt;
  opt.lr = 1e-2f;
  return opt;
}

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(CheckpointLayout, CheckpointsWrittenBeforeThePaddedLayoutLoadUnchanged) {
  for (bool dcae : {false, true}) {
    SCOPED_TRACE(fixture(dcae));
    auto be = make_cpu_backend(1);
    Trainer t(*be, tiny_model(dcae), 4, fixture_optimizer());
    ASSERT_GT(t.block().stride(), t.block().count());  // the layout really is padded here
    Checkpoint c = load_checkpoint(fixture(dcae));
    ASSERT_EQ(c.values.size(), 4 * t.block().count());
    t.block().set_all(*be, c.values);
    EXPECT_EQ(t.block().get_all(*be), c.values);
    // Gradients and moments are not zero after two steps, so every section was compared.
    EXPECT_NE(c.values[t.block().count()], 0.f);
    EXPECT_NE(c.values[3 * t.block().count()], 0.f);
  }
}

TEST(CheckpointLayout, SameStepsGiveTheSameStateAndTheSameFileBytes) {
  const std::string dir = test::fresh_temp_dir("hep2_ckpt_layout_", "bytes");
  std::filesystem::create_directories(dir);
  for (bool dcae : {false, true}) {
    SCOPED_TRACE(fixture(dcae));
    auto be = make_cpu_backend(1);
    Trainer t(*be, tiny_model(dcae), 4, fixture_optimizer());
    std::vector<float> state = two_steps(t, *be, dcae);
    Checkpoint old = load_checkpoint(fixture(dcae));
    EXPECT_EQ(state, old.values);
    const std::string path = dir + "/again.ckpt";
    save_checkpoint(path, Checkpoint{old.header, state});
    EXPECT_TRUE(bytes_of(path) == bytes_of(fixture(dcae))) << "the file differs from the fixture";
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hep2
