// The autoencoder's objective in training (--ae-loss): the cross-entropy objective trains
// differently from the MSE, deterministically, and a stopped and resumed run (which sets the
// objective again from its options) ends exactly where a straight one does. The epoch losses are
// the reconstruction MSE under either objective.
#include <gtest/gtest.h>

#include <vector>

#include "support/tiny_ae_training.h"

namespace hep2 {
namespace {

using test::TinyRun;

TinyRun train(AeObjective objective, long stop_after = -1) {
  AeTrainOptions opt;
  opt.epochs = 2;
  opt.objective = objective;
  opt.collapse_min_steps = 1000;
  return test::train_tiny_dcae(opt, 12, 30, 21, stop_after);
}

TEST(AeObjective, CrossEntropyTrainsDifferentlyDeterministicallyAndResumably) {
  const TinyRun bce = train(AeObjective::CrossEntropy), again = train(AeObjective::CrossEntropy);
  const TinyRun mse = train(AeObjective::Mse);
  EXPECT_EQ(bce.after, again.after);
  EXPECT_NE(bce.after, mse.after);
  const TinyRun resumed = train(AeObjective::CrossEntropy, 4);  // inside the second epoch
  EXPECT_EQ(bce.after, resumed.after);
  ASSERT_EQ(bce.result.epochs.size(), 2u);
  for (const EpochStat& e : bce.result.epochs) {
    // An MSE (about 1/12 for uniform pixels); their binary cross-entropy is at least ~0.5 nats.
    EXPECT_GT(e.loss, 0.0);
    EXPECT_LT(e.loss, 0.3);
  }
}

}  // namespace
}  // namespace hep2
