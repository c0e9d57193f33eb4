// Trained models read back from their checkpoints: a classifier's members come back with their
// parameters, scaler and temperature, and every mismatch with what the run expects (missing file,
// another kind, other feature or class counts, members of different trainings, another input
// size, another model to resume) is refused naming the file and the command that remakes it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "data_fixtures.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/model_json.h"
#include "hep2/pipeline/saved_models.h"
#include "hep2/pipeline/trainer_checkpoint.h"

namespace hep2 {
namespace {

using test::error_of;
using test::TempDir;

MlpConfig small_mlp(int inputs, int classes) {
  MlpConfig cfg;
  cfg.inputs = inputs;
  cfg.hidden = {5};
  cfg.classes = classes;
  return cfg;
}

// Writes one member as hep2 writes a feature classifier: its config, scaler and ensemble size.
std::vector<float> write_member(Backend& be, const std::string& file, const MlpConfig& cfg,
                                int ensemble, const std::vector<float>& mean, uint64_t seed) {
  Trainer t(be, build_mlp(cfg), 4, OptimizerConfig{});
  t.init(InitScheme::Torch, seed);
  std::vector<float> inv_std(mean.size(), 0.5f);
  save_trainer(file, t,
               {{"kind", "mlp"}, {"config", to_json(cfg)}, {"class_names", {"a", "b", "c"}},
                {"feature_mean", mean}, {"feature_inv_std", inv_std}, {"best_epoch", 7},
                {"ensemble", ensemble}, {"temperature", 0.25}});
  return t.block().get_all(be);
}

void expect_all(const std::string& message, const std::vector<std::string>& parts) {
  for (const std::string& p : parts) EXPECT_NE(message.find(p), std::string::npos) << message;
}

TEST(SavedModels, AClassifierComesBackWithItsMembersScalerAndTemperature) {
  TempDir dir;
  auto be = make_cpu_backend(1);
  const MlpConfig cfg = small_mlp(4, 3);
  const std::vector<float> mean = {1, 2, 3, 4};
  const auto file = [&](int k) { return dir.file("mlp_" + std::to_string(k) + ".ckpt"); };
  const std::vector<float> first = write_member(*be, file(0), cfg, 2, mean, 1);
  const std::vector<float> second = write_member(*be, file(1), cfg, 2, mean, 2);
  ASSERT_NE(first, second);
  SavedClassifier s = load_classifier(*be, file, {4, 3, 4, OptimizerConfig{}}, {"make it"});
  ASSERT_EQ(s.fitted.members.size(), 2u);
  EXPECT_EQ(s.fitted.members[0].net->block().get_all(*be), first);
  EXPECT_EQ(s.fitted.members[1].net->block().get_all(*be), second);
  EXPECT_EQ(s.fitted.members[0].best_epoch, 7);
  EXPECT_EQ(s.fitted.scaler.mean, mean);
  EXPECT_EQ(s.fitted.scaler.inv_std, std::vector<float>(4, 0.5f));
  EXPECT_EQ(s.fitted.temperature, 0.25);
  EXPECT_EQ(s.class_names, (std::vector<std::string>{"a", "b", "c"}));
  // 0: whatever the file says.
  EXPECT_EQ(load_classifier(*be, file, {0, 0, 4, OptimizerConfig{}}, {"make it"}).fitted.members.size(), 2u);
}

TEST(SavedModels, ClassifierMismatchesAreRefusedNamingTheFileAndTheRemedy) {
  TempDir dir;
  auto be = make_cpu_backend(1);
  const MlpConfig cfg = small_mlp(4, 3);
  const auto file = [&](int k) { return dir.file("mlp_" + std::to_string(k) + ".ckpt"); };
  const Remedy remedy{"hep2 train-clf --out R"};
  const auto load = [&](int inputs, int classes) {
    return error_of([&] { load_classifier(*be, file, {inputs, classes, 4, OptimizerConfig{}}, remedy); });
  };
  expect_all(load(4, 3), {file(0), "does not exist", "hep2 train-clf --out R"});
  write_member(*be, file(0), cfg, 2, {1, 2, 3, 4}, 1);
  expect_all(load(4, 3), {file(1), "does not exist"});  // the header promised two members
  write_member(*be, file(1), cfg, 2, {1, 2, 3, 5}, 2);
  expect_all(load(4, 3), {file(1), "another training", file(0), "hep2 train-clf --out R"});
  write_member(*be, file(1), cfg, 2, {1, 2, 3, 4}, 2);
  EXPECT_NO_THROW(load_classifier(*be, file, {4, 3, 4, OptimizerConfig{}}, remedy));
  expect_all(load(6, 3), {file(0), "takes 4 features", "have 6 per cell"});
  expect_all(load(4, 5), {file(0), "3 classes", "data has 5"});

  Trainer dcae(*be, build_dcae(DcaeConfig{}).net, 4, OptimizerConfig{});
  save_trainer(file(0), dcae, {{"kind", "dcae"}, {"config", to_json(DcaeConfig{})}});
  expect_all(load(4, 3), {file(0), "not a classifier checkpoint", "'dcae'", "hep2 train-clf --out R"});

  Trainer mlp(*be, build_mlp(cfg), 4, OptimizerConfig{});
  save_trainer(file(0), mlp, {{"kind", "mlp"}, {"config", to_json(cfg)}});  // no scaler
  expect_all(load(4, 3), {file(0), "header is not what hep2 writes", "hep2 train-clf --out R"});
}

TEST(SavedModels, ADcaeIsRebuiltForTheReadingSizeAndRefusedAtAnotherTrainingSize) {
  TempDir dir;
  auto be = make_cpu_backend(1);
  DcaeConfig cfg;
  cfg.height = cfg.width = 16;
  cfg.channels = {3, 4};
  Trainer t(*be, build_dcae(cfg).net, 4, OptimizerConfig{});
  t.init(InitScheme::Torch, 3);
  const std::string file = dir.file("dcae.ckpt");
  save_trainer(file, t, {{"kind", "dcae"}, {"config", to_json(cfg)}});
  const Remedy remedy{"hep2 train-ae --out R"};

  TrainedDcae same = load_dcae(*be, file, {16, 0, 4, OptimizerConfig{}}, remedy);
  EXPECT_EQ(same.config.height, 16);
  EXPECT_EQ(same.net->block().get_all(*be), t.block().get_all(*be));
  EXPECT_EQ(same.latent_end, build_dcae(cfg).latent_end);
  // Read at 24 px: the same parameters, a network for 24 x 24 inputs.
  TrainedDcae larger = load_dcae(*be, file, {16, 24, 4, OptimizerConfig{}}, remedy);
  EXPECT_EQ(larger.config.height, 24);
  EXPECT_EQ(larger.config.width, 24);
  EXPECT_EQ(larger.net->block().get_all(*be), t.block().get_all(*be));

  expect_all(error_of([&] { load_dcae(*be, file, {32, 0, 4, OptimizerConfig{}}, remedy); }),
             {file, "16x16", "--size is 32"});
  expect_all(error_of([&] { load_dcae(*be, dir.file("none.ckpt"), {16, 0, 4, OptimizerConfig{}}, remedy); }),
             {"none.ckpt", "does not exist", "hep2 train-ae --out R"});
  Trainer mlp(*be, build_mlp(small_mlp(4, 3)), 4, OptimizerConfig{});
  save_trainer(dir.file("mlp.ckpt"), mlp, {{"kind", "mlp"}, {"config", to_json(small_mlp(4, 3))}});
  expect_all(error_of([&] { load_dcae(*be, dir.file("mlp.ckpt"), {16, 0, 4, OptimizerConfig{}}, remedy); }),
             {"mlp.ckpt", "not a DCAE checkpoint", "hep2 train-ae --out R"});
  // A hand-made header without the architecture: named, not an internal error.
  save_trainer(dir.file("bare.ckpt"), t, {{"kind", "dcae"}});
  expect_all(error_of([&] { load_dcae(*be, dir.file("bare.ckpt"), {16, 0, 4, OptimizerConfig{}}, remedy); }),
             {"bare.ckpt", "header is not what hep2 writes", "hep2 train-ae --out R"});
}

TEST(SavedModels, ResumingRestoresTheTrainingStateOfTheSameModelOnly) {
  TempDir dir;
  auto be = make_cpu_backend(1);
  DcaeConfig cfg;
  cfg.height = cfg.width = 8;
  cfg.channels = {3};
  Trainer t(*be, build_dcae(cfg).net, 4, OptimizerConfig{});
  t.init(InitScheme::Torch, 5);
  AeTrainState state;
  state.epoch = 3;
  state.step = 2;
  const std::string file = dir.file("dcae.ckpt");
  save_trainer(file, t, {{"kind", "dcae"}, {"config", to_json(cfg)}, {"train_state", to_json(state)}});

  Trainer again(*be, build_dcae(cfg).net, 4, OptimizerConfig{});
  const AeTrainState back = resume_dcae(file, again, cfg);
  EXPECT_EQ(back.epoch, 3);
  EXPECT_EQ(back.step, 2u);
  EXPECT_EQ(again.block().get_all(*be), t.block().get_all(*be));

  DcaeConfig other = cfg;
  other.channels = {4};
  Trainer wider(*be, build_dcae(other).net, 4, OptimizerConfig{});
  expect_all(error_of([&] { resume_dcae(file, wider, other); }),
             {file, "another model", "cannot resume"});
  save_trainer(file, t, {{"kind", "dcae"}, {"config", to_json(cfg)}});  // no training state
  expect_all(error_of([&] { resume_dcae(file, again, cfg); }),
             {file, "training state", "without --resume"});
}

}  // namespace
}  // namespace hep2
