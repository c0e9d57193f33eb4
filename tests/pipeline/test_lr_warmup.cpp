// The autoencoder's learning-rate warm-up (--lr-warmup): the rate ramps linearly over the given
// epochs' worth of steps, so Adam's first update (which moves each weight by about lr whatever
// its gradient) is 1 / (warm-up steps) of the full one; the ramp depends only on the step's
// position, so a stopped and resumed run trains exactly like a straight one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/error.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/training.h"
#include "support/random.h"

namespace hep2 {
namespace {

constexpr int kSide = 8, kCells = 16, kBatch = 4;  // 4 steps per epoch
constexpr float kLr = 1e-2f;

std::unique_ptr<Trainer> tiny_dcae(Backend& be) {
  DcaeConfig cfg;
  cfg.height = cfg.width = kSide;
  cfg.channels = {3, 4};
  OptimizerConfig adam;
  adam.lr = kLr;
  auto t = std::make_unique<Trainer>(be, build_dcae(cfg).net, kBatch, adam);
  t->init(InitScheme::Torch, 5);
  return t;
}

struct Trained {
  std::vector<float> before, after;
  AeTrainResult result;
};

// Trains 2 epochs with the given warm-up; stop_after >= 0 stops after that many steps and a fresh
// trainer resumes from the saved parameters, moments and position, as --resume does.
Trained train(double warmup_epochs, long stop_after = -1, long only_steps = -1) {
  auto be = make_cpu_backend(1);
  const Shape4 shape{kCells, 1, kSide, kSide};
  DeviceImages data = upload_images(*be, shape, test::random_floats(8, shape.count(), 0.0, 1.0),
                                    std::vector<int32_t>(kCells, 0));
  std::vector<int> rows(kCells);
  for (int i = 0; i < kCells; ++i) rows[size_t(i)] = i;
  AeTrainOptions opt;
  opt.epochs = 2;
  opt.batch = kBatch;
  opt.warmup_epochs = warmup_epochs;
  opt.collapse_min_steps = 1000;  // an 8-step run says nothing about collapse
  auto ae = tiny_dcae(*be);
  Trained r;
  r.before = ae->block().get_params(*be);
  AeTrainState state;
  TrainControl control;
  control.stop_after_steps = stop_after >= 0 ? stop_after : only_steps;
  r.result = train_autoencoder(*ae, data, rows, opt, state, control);
  if (stop_after >= 0) {
    std::vector<float> block = ae->block().get_all(*be);
    const long steps = ae->optimizer().steps();
    ae = tiny_dcae(*be);
    ae->block().set_all(*be, block);
    ae->optimizer().set_steps(steps);
    r.result = train_autoencoder(*ae, data, rows, opt, state);
  }
  r.after = ae->block().get_params(*be);
  return r;
}

double largest_move(const Trained& r) {
  double m = 0;
  for (size_t i = 0; i < r.before.size(); ++i)
    m = std::max(m, std::fabs(double(r.after[i]) - double(r.before[i])));
  return m;
}

TEST(LrWarmup, TheFirstStepMovesByItsShareOfTheRate) {
  // Adam's first update is lr * g / (|g| + eps): about lr for every weight with a gradient.
  const double full = largest_move(train(0, -1, 1));
  EXPECT_NEAR(full, kLr, 0.01 * kLr);
  // One epoch of warm-up is 4 steps: the first uses a quarter of the rate; two epochs, an eighth.
  EXPECT_NEAR(largest_move(train(1, -1, 1)), kLr / 4, 0.01 * kLr / 4);
  EXPECT_NEAR(largest_move(train(2, -1, 1)), kLr / 8, 0.01 * kLr / 8);
}

TEST(LrWarmup, IsResumableAndChangesTraining) {
  const Trained straight = train(1.5), again = train(1.5), plain = train(0);
  EXPECT_EQ(straight.after, again.after);
  EXPECT_NE(straight.after, plain.after);
  const Trained resumed = train(1.5, 3);  // stopped inside the ramp, in the first epoch
  EXPECT_EQ(straight.after, resumed.after);
  EXPECT_EQ(straight.result.epochs.back().loss, resumed.result.epochs.back().loss);
}

TEST(LrWarmup, ANegativeOrNonFiniteWarmupIsRefused) {
  for (double bad : {-1.0, std::nan("")}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(train(bad), Error);
  }
}

}  // namespace
}  // namespace hep2
