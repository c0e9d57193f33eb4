// Self-training of the least-squares classifier (self_training.h): the most confident share of
// each predicted class is what gets pseudo-labelled, no rounds or no unlabelled cells leave the
// plain solution untouched, and on a shift between the labelled specimens and the rest (the case
// it is for) the self-trained boundary follows the unlabelled cells where the plain one cannot.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "hep2/core/rng.h"
#include "hep2/pipeline/self_training.h"

namespace hep2 {
namespace {

TEST(SelfTraining, KeepsTheMostConfidentShareOfEachPredictedClass) {
  //                                     0    1    2    3    4    5    6    7
  const std::vector<int32_t> classes = {0, 1, 0, 0, 1, 2, 0, 1};
  const std::vector<double> confidence = {.9, .8, .5, .7, .95, .6, .7, .4};
  // Class 0 has rows 0,2,3,6 (0.9, 0.5, 0.7, 0.7): half of them are 0 and 3 (the earlier of the
  // tie); class 1 has 1,4,7: floor(1.5) = 1 -> row 4; class 2: floor(0.5) = 0.
  EXPECT_EQ(most_confident(classes, confidence, 3, 0.5), (std::vector<size_t>{0, 3, 4}));
  EXPECT_EQ(most_confident(classes, confidence, 3, 1.0).size(), classes.size());
  EXPECT_TRUE(most_confident(classes, confidence, 3, 0.0).empty());
}

// Two classes in 2 features, cells around +-2 on feature 0 (sd 0.7), all shifted by `offset` on
// feature 0.
void two_classes(int per_class, double offset, uint64_t seed, std::vector<float>& x,
                 std::vector<int32_t>& y) {
  Rng rng(seed);
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < per_class; ++i) {
      x.push_back(float((k == 0 ? -2.0 : 2.0) + offset + 0.7 * rng.normal()));
      x.push_back(float(rng.normal()));
      y.push_back(k);
    }
}

double accuracy(const LinearWeights& w, const std::vector<float>& x, const std::vector<int32_t>& y) {
  std::vector<size_t> rows(y.size());
  std::iota(rows.begin(), rows.end(), size_t(0));
  std::vector<int32_t> p;
  std::vector<double> c;
  predict_linear(w, x.data(), rows, p, c);
  double right = 0;
  for (size_t i = 0; i < y.size(); ++i) right += p[i] == y[i];
  return right / double(y.size());
}

TEST(SelfTraining, FollowsUnlabelledCellsOfOtherSpecimens) {
  // Labelled: 10 cells a class from specimens centred at 0. Unlabelled and test cells: other
  // specimens, all shifted by +1.6 (brighter), labels unknown.
  std::vector<float> x, test_x;
  std::vector<int32_t> y, test_y, hidden;
  two_classes(10, 0.0, 1, x, y);
  const size_t labelled = y.size();
  two_classes(300, 1.6, 2, x, hidden);
  two_classes(300, 1.6, 3, test_x, test_y);
  std::vector<size_t> labelled_rows(labelled), pool(hidden.size());
  std::iota(labelled_rows.begin(), labelled_rows.end(), size_t(0));
  std::iota(pool.begin(), pool.end(), labelled);
  const LeastSquaresOptions opt{true, 1e-3};
  const LinearWeights plain = fit_least_squares(x.data(), 2, labelled_rows, y.data(), 2, opt);
  SelfTrainingReport report;
  const LinearWeights self = fit_self_trained(x.data(), 2, labelled_rows, y, pool, 2, opt, 5, &report);
  const double a_plain = accuracy(plain, test_x, test_y), a_self = accuracy(self, test_x, test_y);
  // The plain boundary sits near 0: about 1 in 8 of the shifted class-0 cells (mean -0.4) fall on
  // the wrong side. Self-training moves it towards the shifted cells' gap at +1.6.
  EXPECT_LT(a_plain, 0.95);
  EXPECT_GT(a_self, a_plain + 0.04) << "plain " << a_plain << ", self-trained " << a_self;
  EXPECT_EQ(report.rounds, 5);
  EXPECT_EQ(report.unlabelled_rows, pool.size());
  EXPECT_EQ(report.pseudo_per_class[0] + report.pseudo_per_class[1], pool.size());
}

TEST(SelfTraining, NoRoundsOrNoUnlabelledCellsIsThePlainSolution) {
  std::vector<float> x;
  std::vector<int32_t> y;
  two_classes(20, 0.0, 4, x, y);
  std::vector<size_t> rows(y.size());
  std::iota(rows.begin(), rows.end(), size_t(0));
  const LeastSquaresOptions opt{true, 1e-2};
  const LinearWeights plain = fit_least_squares(x.data(), 2, rows, y.data(), 2, opt);
  const std::vector<size_t> pool = {0, 1, 2};
  for (const LinearWeights& w : {fit_self_trained(x.data(), 2, rows, y, {}, 2, opt, 5),
                                 fit_self_trained(x.data(), 2, rows, y, pool, 2, opt, 0)}) {
    EXPECT_EQ(w.weight, plain.weight);
    EXPECT_EQ(w.bias, plain.bias);
  }
  // Deterministic: the same call twice gives the same bits.
  const LinearWeights a = fit_self_trained(x.data(), 2, rows, y, pool, 2, opt, 3);
  const LinearWeights b = fit_self_trained(x.data(), 2, rows, y, pool, 2, opt, 3);
  EXPECT_EQ(a.weight, b.weight);
}

}  // namespace
}  // namespace hep2
