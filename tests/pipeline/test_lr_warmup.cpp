// The autoencoder's learning-rate warm-up (--lr-warmup): the rate ramps linearly over the given
// epochs' worth of steps, so Adam's first update (which moves each weight by about lr whatever
// its gradient) is 1 / (warm-up steps) of the full one; the ramp depends only on the step's
// position, so a stopped and resumed run trains exactly like a straight one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "hep2/core/error.h"
#include "support/tiny_ae_training.h"

namespace hep2 {
namespace {

using test::TinyRun;
constexpr int kCells = 16;  // 4 steps per epoch
constexpr float kLr = 1e-2f;  // tiny_dcae's rate

TinyRun train(double warmup_epochs, long stop_after = -1, long only_steps = -1) {
  AeTrainOptions opt;
  opt.epochs = 2;
  opt.warmup_epochs = warmup_epochs;
  opt.collapse_min_steps = 1000;  // an 8-step run says nothing about collapse
  return test::train_tiny_dcae(opt, kCells, 8, 5, stop_after, only_steps);
}

double largest_move(const TinyRun& r) {
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
  const TinyRun straight = train(1.5), again = train(1.5), plain = train(0);
  EXPECT_EQ(straight.after, again.after);
  EXPECT_NE(straight.after, plain.after);
  const TinyRun resumed = train(1.5, 3);  // stopped inside the ramp, in the first epoch
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
