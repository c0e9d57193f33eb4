// training_subset: a small labelled set made of whole specimens (or blocks of consecutive cells
// without groups), each class keeping its share, seeded, and never a cell outside the training
// cells.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "hep2/core/error.h"
#include "hep2/pipeline/training_subset.h"

namespace hep2 {
namespace {

// `specimens` specimens of `per` cells for each of 3 classes, class by class.
Dataset cells(int specimens, int per, bool grouped) {
  Dataset d;
  for (int k = 0; k < 3; ++k)
    for (int s = 0; s < specimens; ++s)
      for (int i = 0; i < per; ++i) {
        d.labels.push_back(k);
        d.groups.push_back(grouped ? "c" + std::to_string(k) + "s" + std::to_string(s) : "");
      }
  return d;
}

std::vector<int> all_of(const Dataset& d) {
  std::vector<int> v(d.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = int(i);
  return v;
}

TEST(TrainingSubset, WholeSpecimensEachClassItsShare) {
  const Dataset d = cells(20, 10, true);  // 600 cells
  const std::vector<int> train = all_of(d);
  const std::vector<int> s = training_subset(d, train, 150, 4);
  EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
  std::map<std::string, int> taken;
  std::map<int32_t, int> per_class;
  for (int i : s) {
    ++taken[d.groups[i]];
    ++per_class[d.labels[i]];
  }
  for (const auto& [g, n] : taken) EXPECT_EQ(n, 10) << g << " cut";
  for (int k = 0; k < 3; ++k) EXPECT_EQ(per_class[k], 50) << k;  // 150 / 3, whole specimens
  EXPECT_EQ(training_subset(d, train, 150, 4), s);                // seeded
  EXPECT_NE(training_subset(d, train, 150, 5), s);
  EXPECT_EQ(training_subset(d, train, 600, 4), train);  // all of them
  EXPECT_EQ(training_subset(d, train, 5000, 4), train);
  EXPECT_THROW(training_subset(d, train, 0, 4), Error);
}

TEST(TrainingSubset, WithoutGroupsBlocksOfConsecutiveCells) {
  const Dataset d = cells(4, 100, false);  // 400 cells a class, no groups
  std::vector<int> train;  // every cell but the last 50 of each class
  for (int i = 0; i < 1200; ++i)
    if (i % 400 < 350) train.push_back(i);
  const std::vector<int> s = training_subset(d, train, 210, 1);
  ASSERT_EQ(s.size(), 210u);
  const std::set<int> in_train(train.begin(), train.end());
  std::map<int32_t, int> per_class;
  for (int i : s) {
    EXPECT_TRUE(in_train.count(i)) << i;
    ++per_class[d.labels[i]];
  }
  for (int k = 0; k < 3; ++k) EXPECT_EQ(per_class[k], 70);
  // Runs of consecutive cells: 70 a class from blocks of 50 is two blocks, one of them cut.
  int runs = 0;
  for (size_t i = 0; i < s.size(); ++i) runs += i == 0 || s[i] != s[i - 1] + 1;
  EXPECT_LE(runs, 6);
}

}  // namespace
}  // namespace hep2
