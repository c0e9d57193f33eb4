// ae_epochs: --epochs raised until the DCAE takes --ae-min-steps steps, and where it is not.
#include <gtest/gtest.h>

#include "hep2/pipeline/ae_epochs.h"

namespace hep2 {
namespace {

TEST(AeEpochs, NoMinimumNoEpochsOrNoCellsKeepTheEpochs) {
  EXPECT_EQ(ae_epochs(3, 0, 100, 10), 3);
  EXPECT_EQ(ae_epochs(3, -5, 100, 10), 3);
  EXPECT_EQ(ae_epochs(0, 1000, 100, 10), 0);
  EXPECT_EQ(ae_epochs(3, 1000, 0, 10), 3);
}

TEST(AeEpochs, RaisedToReachTheMinimumSteps) {
  // 100 cells in batches of 10: 10 steps an epoch.
  EXPECT_EQ(ae_epochs(1, 40, 100, 10), 4);   // an exact multiple
  EXPECT_EQ(ae_epochs(1, 41, 100, 10), 5);   // one step more takes a whole epoch more
  EXPECT_EQ(ae_epochs(1, 10, 100, 10), 1);
  EXPECT_EQ(ae_epochs(7, 40, 100, 10), 7);   // never fewer than --epochs
  // 105 cells: 11 steps an epoch (the last batch shorter).
  EXPECT_EQ(ae_epochs(1, 22, 105, 10), 2);
  EXPECT_EQ(ae_epochs(1, 23, 105, 10), 3);
}

TEST(AeEpochs, FewerCellsThanABatchIsOneStepAnEpoch) {
  EXPECT_EQ(ae_epochs(1, 40, 5, 64), 40);
  EXPECT_EQ(ae_epochs(2, 40, 64, 64), 40);
}

TEST(AeEpochs, CappedAtOneHundredThousandEpochs) {
  EXPECT_EQ(ae_epochs(1, 2000000, 1, 64), 100000);
  EXPECT_EQ(ae_epochs(1, 100000, 1, 64), 100000);
  EXPECT_EQ(ae_epochs(200000, 2000000, 1, 64), 200000);  // the cap never lowers --epochs
}

}  // namespace
}  // namespace hep2
