// Split: stratified proportions, groups that never straddle a split or a fold, determinism for
// a seed, the data's own split, and folds that partition the indices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "data_fixtures.h"
#include "hep2/core/rng.h"
#include "hep2/pipeline/split.h"

namespace hep2 {
namespace {

using test::error_of;

// A dataset with metadata only (1x1 images): `per_class[c]` cells of class c, in an
// interleaved order so that index order says nothing about the class.
Dataset labelled(const std::vector<int>& per_class) {
  Dataset d;
  std::vector<int> left = per_class;
  for (bool any = true; any;) {
    any = false;
    for (size_t c = 0; c < left.size(); ++c)
      if (left[c] > 0) {
        d.labels.push_back(int32_t(c));
        --left[c];
        any = true;
      }
  }
  const size_t n = d.labels.size();
  d.shape = {int(n), 1, 1, 1};
  d.images.assign(n, 0.0f);
  d.paths.resize(n);
  d.splits.resize(n);
  d.groups.resize(n);
  for (size_t i = 0; i < n; ++i) d.paths[i] = std::string("cell").append(std::to_string(i));
  return d;
}

// Groups of random sizes 1..12, each mostly one class (as a specimen is), some mixed.
Dataset grouped(uint64_t seed) {
  Dataset d;
  Rng rng(seed);
  for (int g = 0; g < 60; ++g) {
    const int size = 1 + int(rng.below(12));
    const int main_class = int(rng.below(4));
    for (int k = 0; k < size; ++k) {
      d.labels.push_back(rng.uniform() < 0.85 ? main_class : int(rng.below(4)));
      d.groups.push_back(std::string("g").append(std::to_string(g)));
    }
  }
  const size_t n = d.labels.size();
  d.shape = {int(n), 1, 1, 1};
  d.images.assign(n, 0.0f);
  d.paths.assign(n, "");
  d.splits.assign(n, "");
  return d;
}

void expect_partition(const SplitIndices& s, size_t n) {
  std::vector<int> all = s.train;
  all.insert(all.end(), s.test.begin(), s.test.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(all[i], int(i));
  EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
  EXPECT_TRUE(std::is_sorted(s.test.begin(), s.test.end()));
}

std::map<int, int> class_counts(const Dataset& d, const std::vector<int>& indices) {
  std::map<int, int> counts;
  for (int i : indices) counts[d.labels[size_t(i)]]++;
  return counts;
}

TEST(Split, StratifiedProportionsPerClass) {
  const std::vector<int> sizes = {100, 50, 7, 33};
  const Dataset d = labelled(sizes);
  for (double fraction : {0.2, 0.25, 0.5}) {
    const SplitIndices s = split_dataset(d, fraction, 7);
    expect_partition(s, d.size());
    auto test_counts = class_counts(d, s.test);
    for (size_t c = 0; c < sizes.size(); ++c)
      EXPECT_LE(std::abs(test_counts[int(c)] - fraction * sizes[c]), 0.5 + 1e-9)
          << "class " << c << " fraction " << fraction << ": " << test_counts[int(c)] << " in test";
  }
}

TEST(Split, DeterministicForASeedAndDifferentAcrossSeeds) {
  const Dataset d = labelled({40, 40, 40});
  const SplitIndices a = split_dataset(d, 0.3, 11), b = split_dataset(d, 0.3, 11), c = split_dataset(d, 0.3, 12);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.test, c.test);
}

TEST(Split, GroupsNeverStraddleAndProportionsHold) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const Dataset d = grouped(100 + seed);
    const SplitIndices s = split_dataset(d, 0.25, seed);
    expect_partition(s, d.size());
    std::set<std::string> train_groups, test_groups;
    for (int i : s.train) train_groups.insert(d.groups[size_t(i)]);
    for (int i : s.test) test_groups.insert(d.groups[size_t(i)]);
    for (const auto& g : test_groups) EXPECT_EQ(train_groups.count(g), 0u) << "group " << g << " straddles";
    // Whole groups of up to 12 cells cannot hit the target exactly, but must come close.
    auto all = class_counts(d, s.train);
    for (auto [c, n] : class_counts(d, s.test)) all[c] += n;
    auto in_test = class_counts(d, s.test);
    for (auto [c, n] : all) EXPECT_NEAR(in_test[c], 0.25 * n, 12.0) << "class " << c << " seed " << seed;
    EXPECT_NEAR(double(s.test.size()) / double(d.size()), 0.25, 0.05);
  }
}

TEST(Split, EmptyGroupIsItsOwnGroup) {
  Dataset d = labelled({10, 10});
  d.groups[0] = "a";
  d.groups[1] = "a";
  const SplitIndices s = split_dataset(d, 0.5, 3);
  expect_partition(s, d.size());
  const bool first_in_test = std::count(s.test.begin(), s.test.end(), 0) > 0;
  const bool second_in_test = std::count(s.test.begin(), s.test.end(), 1) > 0;
  EXPECT_EQ(first_in_test, second_in_test);
}

TEST(Split, DataOwnSplitIsRespected) {
  Dataset d = labelled({3, 3});
  const std::vector<std::string> own = {"train", "VAL", "Test", "train", "training", "validation"};
  d.splits = own;
  const SplitIndices s = split_dataset(d, 0.9, 1);  // the fraction does not matter here
  EXPECT_EQ(s.train, (std::vector<int>{0, 3, 4}));
  EXPECT_EQ(s.test, (std::vector<int>{1, 2, 5}));
}

TEST(Split, BadOwnSplitValuesAreErrors) {
  Dataset d = labelled({2, 2});
  d.splits = {"train", "test", "holdout", "train"};
  EXPECT_NE(error_of([&] { split_dataset(d, 0.5, 1); }).find("holdout"), std::string::npos);
  d.splits = {"train", "test", "", "train"};
  EXPECT_NE(error_of([&] { split_dataset(d, 0.5, 1); }).find("cell2"), std::string::npos);
  d.splits = {"train", "train", "train", "train"};
  EXPECT_NE(error_of([&] { split_dataset(d, 0.5, 1); }).find("test"), std::string::npos);
}

TEST(Split, BadFractionOrSingleGroupAreErrors) {
  Dataset d = labelled({5, 5});
  EXPECT_FALSE(error_of([&] { split_dataset(d, 0.0, 1); }).empty());
  EXPECT_FALSE(error_of([&] { split_dataset(d, 1.0, 1); }).empty());
  d.groups.assign(d.size(), "one_patient");
  EXPECT_NE(error_of([&] { split_dataset(d, 0.5, 1); }).find("one group"), std::string::npos);
}

TEST(Split, FoldsPartitionAndAreStratified) {
  const std::vector<int> sizes = {23, 17, 10};
  const Dataset d = labelled(sizes);
  const auto folds = stratified_folds(d, 5, 9);
  ASSERT_EQ(folds.size(), 5u);
  std::vector<int> seen(d.size(), 0);
  for (const auto& fold : folds) {
    EXPECT_TRUE(std::is_sorted(fold.begin(), fold.end()));
    for (int i : fold) seen[size_t(i)]++;
  }
  for (size_t i = 0; i < d.size(); ++i) EXPECT_EQ(seen[i], 1) << "index " << i;
  // Each class spread as evenly as possible: fold counts differ by at most one.
  for (size_t c = 0; c < sizes.size(); ++c) {
    int lo = 1 << 30, hi = 0;
    for (const auto& fold : folds) {
      const int n = class_counts(d, fold)[int(c)];
      lo = std::min(lo, n);
      hi = std::max(hi, n);
    }
    EXPECT_LE(hi - lo, 1) << "class " << c;
  }
  EXPECT_EQ(stratified_folds(d, 5, 9), folds);
  EXPECT_NE(stratified_folds(d, 5, 10), folds);
}

TEST(Split, GroupedFoldsKeepGroupsTogether) {
  const Dataset d = grouped(5);
  const auto folds = stratified_folds(d, 4, 2);
  std::map<std::string, std::set<size_t>> folds_of_group;
  size_t total = 0;
  for (size_t f = 0; f < folds.size(); ++f) {
    total += folds[f].size();
    EXPECT_FALSE(folds[f].empty());
    for (int i : folds[f]) folds_of_group[d.groups[size_t(i)]].insert(f);
  }
  EXPECT_EQ(total, d.size());
  for (const auto& [g, fs] : folds_of_group) EXPECT_EQ(fs.size(), 1u) << "group " << g;
  // Roughly a quarter of the cells in each fold.
  for (const auto& fold : folds) EXPECT_NEAR(double(fold.size()) / double(d.size()), 0.25, 0.06);
}

TEST(Split, FoldSplitIsTheComplement) {
  const Dataset d = labelled({6, 6});
  const auto folds = stratified_folds(d, 3, 1);
  const SplitIndices s = fold_split(folds, 1);
  EXPECT_EQ(s.test, folds[1]);
  expect_partition(s, d.size());
  EXPECT_FALSE(error_of([&] { fold_split(folds, 3); }).empty());
}

TEST(Split, TooManyFoldsIsAnError) {
  Dataset d = labelled({2, 2});
  EXPECT_FALSE(error_of([&] { stratified_folds(d, 1, 1); }).empty());
  EXPECT_NE(error_of([&] { stratified_folds(d, 5, 1); }).find("fewer folds"), std::string::npos);
  d.groups = {"a", "a", "b", "b"};
  EXPECT_NE(error_of([&] { stratified_folds(d, 3, 1); }).find("groups"), std::string::npos);
}

}  // namespace
}  // namespace hep2
