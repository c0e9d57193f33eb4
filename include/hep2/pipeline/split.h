// Train/test splits and k folds that keep class proportions and never let a group (specimen,
// source image) straddle the two sides: cells of one patient on both sides inflate accuracy.
#pragma once
#include <cstdint>
#include <vector>

#include "hep2/pipeline/dataset.h"

namespace hep2 {

struct SplitIndices {
  std::vector<int> train, test;  // ascending
};

// The data's own split when it has one (any non-empty entry in data.splits: "train" goes to
// train, "val" and "test" to test, case-insensitive; any other or missing value is an error);
// otherwise a seeded split with about test_fraction of each class in test, grouped when
// data.groups has entries (an empty group is a group of its own cell). test_fraction must be in
// (0, 1). Throws when the data cannot give both sides a cell.
SplitIndices split_dataset(const Dataset& data, double test_fraction, uint64_t seed);

// k folds, stratified by class and grouped like split_dataset: fold f holds its test indices
// (ascending); every index is in exactly one fold. Throws when k < 2 or there are fewer groups
// (cells, when ungrouped) than folds.
std::vector<std::vector<int>> stratified_folds(const Dataset& data, int k, uint64_t seed);

// Fold f as a split: its indices are the test side, all other folds' indices the train side.
SplitIndices fold_split(const std::vector<std::vector<int>>& folds, int f);

}  // namespace hep2
