// Resuming from a checkpoint restores the optimiser's step counter (which lives in the backend's
// memory, math::StepState), so the step after the resume uses the bias correction of its true
// step number: a trainer saved after 3 steps and restored into a fresh one takes step 4 to the
// very bits of the trainer that never stopped.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "hep2/core/rng.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/checkpoint.h"
#include "hep2/pipeline/trainer_checkpoint.h"
#include "support/run_folder.h"

namespace hep2 {
namespace {

std::unique_ptr<Trainer> small_dcae(Backend& be) {
  DcaeConfig cfg;
  cfg.height = cfg.width = 8;
  cfg.channels = {3, 5};
  auto t = std::make_unique<Trainer>(be, build_dcae(cfg).net, 4, OptimizerConfig{});
  t->init(InitScheme::Torch, 5);
  return t;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(StepCounterResume, ACheckpointRestoresTheCounterAndTheNextStep) {
  auto be = make_cpu_backend(1);
  Rng rng(21);
  std::vector<float> x(4 * 64);
  for (float& v : x) v = float(rng.uniform());
  Buffer<float> bx(*be, x.size());
  be->upload(bx.data(), x.data(), bx.bytes());

  auto straight = small_dcae(*be);
  for (int s = 0; s < 3; ++s) straight->ae_step(4, bx.data());
  const std::string dir = test::fresh_temp_dir("hep2-step-counter", "resume");
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/dcae.ckpt";
  save_trainer(file, *straight, {{"kind", "dcae"}});
  straight->ae_step(4, bx.data());

  auto resumed = small_dcae(*be);
  EXPECT_EQ(resumed->optimizer().steps(), 0);
  restore_trainer(file, *resumed, load_checkpoint(file));
  EXPECT_EQ(resumed->optimizer().steps(), 3);
  EXPECT_EQ(resumed->optimizer().state()->t, 3);  // the backend's memory itself (CPU: host)
  resumed->ae_step(4, bx.data());
  EXPECT_EQ(resumed->optimizer().steps(), 4);
  EXPECT_TRUE(same_bits(resumed->block().get_all(*be), straight->block().get_all(*be)))
      << "the step after the resume is not the step the straight run took";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hep2
