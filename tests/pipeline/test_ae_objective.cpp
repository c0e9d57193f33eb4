// The autoencoder's objective in training (--ae-loss): the cross-entropy objective trains
// differently from the MSE, deterministically, and a stopped and resumed run (which sets the
// objective again from its options) ends exactly where a straight one does. The epoch losses are
// the reconstruction MSE under either objective.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/training.h"
#include "support/random.h"

namespace hep2 {
namespace {

constexpr int kSide = 8, kCells = 12, kBatch = 4;

std::unique_ptr<Trainer> tiny_dcae(Backend& be) {
  DcaeConfig cfg;
  cfg.height = cfg.width = kSide;
  cfg.channels = {3, 4};
  OptimizerConfig adam;
  adam.lr = 1e-2f;
  auto t = std::make_unique<Trainer>(be, build_dcae(cfg).net, kBatch, adam);
  t->init(InitScheme::Torch, 21);
  return t;
}

struct Trained {
  std::vector<float> params;
  AeTrainResult result;
};

Trained train(AeObjective objective, long stop_after = -1) {
  auto be = make_cpu_backend(1);
  const Shape4 shape{kCells, 1, kSide, kSide};
  DeviceImages data = upload_images(*be, shape, test::random_floats(30, shape.count(), 0.0, 1.0),
                                    std::vector<int32_t>(kCells, 0));
  std::vector<int> rows(kCells);
  for (int i = 0; i < kCells; ++i) rows[size_t(i)] = i;
  AeTrainOptions opt;
  opt.epochs = 2;
  opt.batch = kBatch;
  opt.objective = objective;
  opt.collapse_min_steps = 1000;
  auto ae = tiny_dcae(*be);
  AeTrainState state;
  Trained t;
  if (stop_after >= 0) {
    TrainControl stop;
    stop.stop_after_steps = stop_after;
    train_autoencoder(*ae, data, rows, opt, state, stop);
    std::vector<float> block = ae->block().get_all(*be);
    const long steps = ae->optimizer().steps();
    ae = tiny_dcae(*be);  // a fresh trainer: its objective is the default until training sets it
    ae->block().set_all(*be, block);
    ae->optimizer().set_steps(steps);
  }
  t.result = train_autoencoder(*ae, data, rows, opt, state);
  t.params = ae->block().get_params(*be);
  return t;
}

TEST(AeObjective, CrossEntropyTrainsDifferentlyDeterministicallyAndResumably) {
  const Trained bce = train(AeObjective::CrossEntropy), again = train(AeObjective::CrossEntropy);
  const Trained mse = train(AeObjective::Mse);
  EXPECT_EQ(bce.params, again.params);
  EXPECT_NE(bce.params, mse.params);
  const Trained resumed = train(AeObjective::CrossEntropy, 4);  // inside the second epoch
  EXPECT_EQ(bce.params, resumed.params);
  ASSERT_EQ(bce.result.epochs.size(), 2u);
  for (const EpochStat& e : bce.result.epochs) {
    // An MSE of outputs and pixels in [0, 1]; a cross-entropy of these would be above 0.5.
    EXPECT_GT(e.loss, 0.0);
    EXPECT_LT(e.loss, 0.5);
  }
}

}  // namespace
}  // namespace hep2
