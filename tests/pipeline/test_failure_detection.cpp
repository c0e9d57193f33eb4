// The training loops' failure detectors, each provoked for real: the autoencoder's collapse
// detector (train_autoencoder: the loss stalls at or above that of a constant output) and the
// classifier's non-finite loss check (train_classifier), each beside a control run with sane
// settings that must not trip it. The autoencoder's own NaN guard is tested in
// tests/app/test_bad_input.cpp (TrainingLoop.*).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "data_fixtures.h"
#include "hep2/backend/backend.h"
#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/preprocess.h"
#include "hep2/pipeline/synth.h"
#include "hep2/pipeline/training.h"

namespace hep2 {
namespace {

using test::error_of;

OptimizerConfig adam(float lr) {
  OptimizerConfig o;
  o.lr = lr;
  return o;
}

// ---- the autoencoder's collapse ------------------------------------------------------------------

constexpr int kSide = 16;

// 64 synthetic HEp-2 cells (five patterns), 16 x 16, preprocessed as `hep2 run` does.
Dataset small_cells() {
  SynthOptions s;
  s.count = 64;
  s.size = kSide;
  s.seed = 5;
  PreprocessOptions p;
  p.height = p.width = kSide;
  return synthesize(s, p);
}

struct AeRun {
  std::unique_ptr<Backend> be;
  std::unique_ptr<Trainer> ae;
  DeviceImages data;
  std::vector<int> train;
};

// A small DCAE (two stages, 8 and 16 channels) on the cells, one thread: deterministic.
AeRun small_dcae(const Dataset& cells, float lr, InitScheme init) {
  AeRun r;
  r.be = make_cpu_backend(1);
  DcaeConfig cfg;
  cfg.height = cfg.width = kSide;
  cfg.channels = {8, 16};
  Dcae m = build_dcae(cfg);
  r.ae = std::make_unique<Trainer>(*r.be, std::move(m.net), 16, adam(lr));
  r.ae->init(init, 3);
  r.data = upload_images(*r.be, cells.shape, cells.images, cells.labels);
  for (int i = 0; i < int(cells.size()); ++i) r.train.push_back(i);
  return r;
}

// The reconstructions (sigmoid of the decoder's output) of the first `n` cells.
std::vector<float> reconstructions(AeRun& r, int n) {
  const size_t per = r.data.shape.per_sample();
  const float* z = r.ae->forward(n, r.data.images.data(), false);
  std::vector<float> out(size_t(n) * per);
  r.be->download(out.data(), z, out.size() * sizeof(float));
  for (float& v : out) v = 1.f / (1.f + std::exp(-v));
  return out;
}

// The largest difference between two cells' reconstructions of the same pixel: 0 for an
// autoencoder that answers every cell with one image.
float spread_across_cells(const std::vector<float>& recon, int n, size_t per) {
  float spread = 0.f;
  for (size_t k = 0; k < per; ++k) {
    float lo = recon[k], hi = recon[k];
    for (int i = 1; i < n; ++i) {
      lo = std::min(lo, recon[size_t(i) * per + k]);
      hi = std::max(hi, recon[size_t(i) * per + k]);
    }
    spread = std::max(spread, hi - lo);
  }
  return spread;
}

AeTrainOptions ae_options(int epochs) {
  AeTrainOptions opt;  // the collapse thresholds stay at their defaults
  opt.epochs = epochs;
  opt.batch = 16;       // 4 steps per epoch: the detector may act from epoch 38 (150 steps)
  opt.augment = false;
  return opt;
}

// A learning rate of 0.99 with He initialisation (the case docs/reliability.md names) drives the
// decoder's outputs into the sigmoid's flat tail: every cell gets the same reconstruction, the
// gradients vanish and the loss stops moving above that of the best constant output.
TEST(FailureDetection, AutoencoderCollapseStopsTrainingWithWhatToChange) {
  const Dataset cells = small_cells();
  AeRun r = small_dcae(cells, 0.99f, InitScheme::He);
  std::vector<AeTrainState> saved;
  TrainControl control;
  control.checkpoint = [&](const AeTrainState& s) { saved.push_back(s); };
  AeTrainState state;
  const AeTrainOptions opt = ae_options(60);
  const std::string message =
      error_of([&] { train_autoencoder(*r.ae, r.data, r.train, opt, state, control); });
  EXPECT_NE(message.find("the autoencoder collapsed"), std::string::npos) << message;
  EXPECT_NE(message.find("no better than a constant output"), std::string::npos) << message;
  EXPECT_NE(message.find("{lr}"), std::string::npos) << message;
  EXPECT_NE(message.find("{ae_loss} bce"), std::string::npos) << message;

  // It stopped as soon as the detector may act (150 steps: epoch 38), not at the end, and the
  // collapsed epoch was not checkpointed (the detector runs before the epoch's checkpoint).
  ASSERT_FALSE(saved.empty());
  const AeTrainState& last = saved.back();
  EXPECT_EQ(last.epoch, 38) << "the last checkpoint is of epoch " << last.epoch - 1;
  // The collapse is real: one reconstruction for all cells, and a loss that has stopped moving.
  const int n = 16;
  EXPECT_LT(spread_across_cells(reconstructions(r, n), n, r.data.shape.per_sample()), 1e-3f);
  ASSERT_GE(last.history.size(), 2u);
  const double a = last.history[last.history.size() - 2].loss, b = last.history.back().loss;
  EXPECT_LT(std::abs(a - b), 0.01 * b) << a << " -> " << b;
}

// The control: the same cells and model at a sane learning rate learn (the loss ends well below
// a constant output's) and the detector stays quiet over more steps than it needs to act.
TEST(FailureDetection, AutoencoderThatLearnsIsNotCalledCollapsed) {
  const Dataset cells = small_cells();
  AeRun r = small_dcae(cells, 3e-3f, InitScheme::He);
  AeTrainState state;
  AeTrainResult res;
  ASSERT_NO_THROW(res = train_autoencoder(*r.ae, r.data, r.train, ae_options(150), state));
  ASSERT_EQ(res.epochs.size(), 150u);
  EXPECT_LT(res.epochs.back().loss, 0.5 * res.mean_image_loss)
      << "loss " << res.epochs.back().loss << ", constant output " << res.mean_image_loss;
  const int n = 16;
  EXPECT_GT(spread_across_cells(reconstructions(r, n), n, r.data.shape.per_sample()), 0.1f);
}

// ---- the classifier's non-finite loss ------------------------------------------------------------

struct ClfRun {
  std::unique_ptr<Backend> be;
  std::unique_ptr<Trainer> mlp;
  Buffer<float> features;
  Buffer<int32_t> labels;
  SampleSet set;
  std::vector<int> train;
};

// 48 cells of 32 features in 3 classes (the class shifts three of the features), an MLP 32-16-3.
ClfRun small_classifier(float lr) {
  constexpr int kCells = 48, kDim = 32, kClasses = 3;
  ClfRun r;
  r.be = make_cpu_backend(1);
  MlpConfig cfg;
  cfg.inputs = kDim;
  cfg.hidden = {16};
  cfg.classes = kClasses;
  r.mlp = std::make_unique<Trainer>(*r.be, build_mlp(cfg), 16, adam(lr));
  r.mlp->init(InitScheme::Torch, 3);
  Rng rng(17);
  std::vector<float> x(size_t(kCells) * kDim);
  std::vector<int32_t> y(kCells);
  for (int i = 0; i < kCells; ++i) {
    y[i] = i % kClasses;
    for (int j = 0; j < kDim; ++j) x[size_t(i) * kDim + j] = float(rng.uniform(-1.0, 1.0));
    x[size_t(i) * kDim + y[i]] += 2.f;
    r.train.push_back(i);
  }
  r.features = Buffer<float>(*r.be, x.size());
  r.be->upload(r.features.data(), x.data(), x.size() * sizeof(float));
  r.labels = Buffer<int32_t>(*r.be, y.size());
  r.be->upload(r.labels.data(), y.data(), y.size() * sizeof(int32_t));
  r.set.data = r.features.data();
  r.set.sample = Shape4{1, kDim, 1, 1};
  r.set.count = kCells;
  return r;
}

ClfTrainOptions clf_options(int epochs) {
  ClfTrainOptions opt;
  opt.epochs = epochs;
  opt.batch = 16;
  return opt;
}

// An absurd learning rate (1e30; the command line refuses it, the library takes it) makes the
// first update blow the weights up to ~1e30: the next forward pass overflows and the loss is no
// longer finite. Training stops with what to change.
TEST(FailureDetection, ClassifierLossThatIsNotFiniteStopsTrainingNamingClfLr) {
  ClfRun r = small_classifier(1e30f);
  const std::string message = error_of(
      [&] { train_classifier(*r.mlp, r.set, r.labels, r.train, {}, clf_options(5)); });
  EXPECT_NE(message.find("the classifier's training loss became"), std::string::npos) << message;
  EXPECT_NE(message.find("in epoch 1"), std::string::npos) << message;
  EXPECT_NE(message.find("{clf_lr}"), std::string::npos) << message;
}

// The same with a validation set (early stopping): the check comes before the validation pass.
TEST(FailureDetection, ClassifierLossThatIsNotFiniteStopsTrainingWithValidationToo) {
  ClfRun r = small_classifier(1e30f);
  std::vector<int> train(r.train.begin(), r.train.begin() + 36), val(r.train.begin() + 36, r.train.end());
  const std::string message =
      error_of([&] { train_classifier(*r.mlp, r.set, r.labels, train, val, clf_options(5)); });
  EXPECT_NE(message.find("the classifier's"), std::string::npos) << message;
  EXPECT_NE(message.find("loss became"), std::string::npos) << message;
  EXPECT_NE(message.find("{clf_lr}"), std::string::npos) << message;
}

// One epoch of one step: the only update is the one that overflows, and no later training loss
// sees it. Without validation the final check of the parameters catches it; with validation, the
// validation pass of that epoch.
TEST(FailureDetection, AnOverflowInTheLastUpdateIsNotSaved) {
  {
    ClfRun r = small_classifier(1e30f);
    std::vector<int> train(r.train.begin(), r.train.begin() + 16);  // one batch: one update
    const std::string message =
        error_of([&] { train_classifier(*r.mlp, r.set, r.labels, train, {}, clf_options(1)); });
    EXPECT_NE(message.find("the classifier's parameters became unusable"), std::string::npos) << message;
    EXPECT_NE(message.find("{clf_lr}"), std::string::npos) << message;
  }
  {
    ClfRun r = small_classifier(1e30f);
    std::vector<int> train(r.train.begin(), r.train.begin() + 16),
        val(r.train.begin() + 36, r.train.end());
    const std::string message =
        error_of([&] { train_classifier(*r.mlp, r.set, r.labels, train, val, clf_options(1)); });
    EXPECT_NE(message.find("the classifier's validation loss became NaN"), std::string::npos)
        << message;
  }
}

// The control: a sane learning rate trains without tripping the check, and learns.
TEST(FailureDetection, ClassifierWithASaneLearningRateTrains) {
  ClfRun r = small_classifier(1e-2f);
  ClfTrainResult res;
  ASSERT_NO_THROW(res = train_classifier(*r.mlp, r.set, r.labels, r.train, {}, clf_options(20)));
  ASSERT_EQ(res.epochs.size(), 20u);
  for (const EpochStat& e : res.epochs) EXPECT_TRUE(std::isfinite(e.loss)) << "epoch " << e.epoch;
  EXPECT_LT(res.epochs.back().loss, 0.5 * res.epochs.front().loss);
}

}  // namespace
}  // namespace hep2
