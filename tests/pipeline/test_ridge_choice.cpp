// Choosing the least-squares ridge on the training cells: folds hold whole specimens (or blocks
// of consecutive cells), each class dealt over the folds; the cross-validated choice prefers a
// strong ridge when few cells carry many noisy features and a weak one when many cells carry
// clean, small ones, and it falls back to the first candidate when there is nothing to cross-validate.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "hep2/core/rng.h"
#include "hep2/pipeline/ridge_choice.h"

namespace hep2 {
namespace {

TEST(RidgeChoice, FoldsKeepSpecimensWholeAndDealEachClass) {
  std::vector<int32_t> labels;
  std::vector<std::string> groups;
  for (int s = 0; s < 20; ++s)
    for (int i = 0; i < 7; ++i) {
      labels.push_back(s % 2);
      groups.push_back("s" + std::to_string(s));
    }
  std::vector<int> rows;
  for (int i = 0; i < int(labels.size()); ++i) rows.push_back(i);
  const std::vector<int> f = specimen_folds(rows, labels, groups, 5, 3);
  std::map<std::string, std::set<int>> folds_of;
  std::map<std::pair<int, int>, int> per_class_fold;
  for (size_t k = 0; k < rows.size(); ++k) {
    folds_of[groups[k]].insert(f[k]);
    ++per_class_fold[{labels[k], f[k]}];
  }
  for (const auto& [g, s] : folds_of) EXPECT_EQ(s.size(), 1u) << g;
  for (int c = 0; c < 2; ++c)
    for (int k = 0; k < 5; ++k) EXPECT_EQ((per_class_fold[{c, k}]), 14) << c << " " << k;  // 2 specimens each
  // Without groups: blocks of 50 consecutive cells of a class.
  std::vector<int32_t> l2(400, 0);
  for (int i = 200; i < 400; ++i) l2[size_t(i)] = 1;
  std::vector<int> r2;
  for (int i = 0; i < 400; ++i) r2.push_back(i);
  const std::vector<int> f2 = specimen_folds(r2, l2, {}, 4, 1);
  for (int b = 0; b < 8; ++b)
    for (int i = 1; i < 50; ++i) EXPECT_EQ(f2[size_t(b * 50 + i)], f2[size_t(b * 50)]) << b;
}

// Two classes told apart by feature 0 (of scale `scale`), with `noise` features of pure noise.
struct Problem {
  std::vector<float> x;
  std::vector<int32_t> y;
  std::vector<size_t> rows;
  std::vector<int> folds;
  int dim;
  Problem(int cells, int noise, double shift, uint64_t seed, double scale = 1.0) : dim(1 + noise) {
    Rng rng(seed);
    for (int i = 0; i < cells; ++i) {
      const int c = i % 2;
      x.push_back(float(scale * (rng.normal() + (c ? shift : 0.0))));
      for (int j = 0; j < noise; ++j) x.push_back(float(rng.normal()));
      y.push_back(c);
      rows.push_back(size_t(i));
      folds.push_back((i / 2) % 5);
    }
  }
};

TEST(RidgeChoice, StrongRidgeForFewNoisyCellsWeakForManyCleanOnes) {
  LeastSquaresOptions o;
  const Problem few(30, 40, 1.5, 7);
  const RidgeChoice a = choose_ridge(few.x.data(), few.dim, few.rows, few.y, 2, few.folds, o);
  ASSERT_EQ(a.mca.size(), 4u);
  EXPECT_GE(a.ridge, 0.1);
  // Many cells whose telling feature is small beside the noise: a strong ridge shrinks its large
  // weight away and the noise decides; the weakest ridge wins.
  const Problem many(2000, 3, 3.0, 8, 0.02);
  const RidgeChoice b = choose_ridge(many.x.data(), many.dim, many.rows, many.y, 2, many.folds, o);
  EXPECT_EQ(b.ridge, kRidgeCandidates[0]);
  EXPECT_GT(b.mca[0], 0.9);
  EXPECT_LT(b.mca[3], b.mca[0]);
  // One fold: nothing to cross-validate, the first candidate.
  const std::vector<int> one(few.rows.size(), 0);
  const RidgeChoice c = choose_ridge(few.x.data(), few.dim, few.rows, few.y, 2, one, o);
  EXPECT_EQ(c.ridge, kRidgeCandidates[0]);
  EXPECT_TRUE(c.mca.empty());
}

}  // namespace
}  // namespace hep2
