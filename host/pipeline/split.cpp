// Stratified, group-aware train/test splits and folds.
// Cells are gathered into units (a group, or a single cell when there are no groups), shuffled
// by the seed, then placed largest first by a greedy rule that keeps each class's count on
// each side closest to its target. Largest first leaves the small units to even out the
// remainder; with single-cell units it reduces to exact per-class rounding.
#include "hep2/pipeline/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/pipeline/cell_list.h"

namespace hep2 {

namespace {

struct Unit {
  std::vector<int> members;
  std::vector<int> per_class;  // by stratum (label + 1, so unknown labels are a stratum too)
};

struct Units {
  std::vector<Unit> list;
  std::vector<int> class_total;
};

Units make_units(const Dataset& data, uint64_t seed) {
  const size_t n = data.size();
  if (n == 0) fail("cannot split an empty dataset");
  int strata = 1;
  for (int32_t label : data.labels) strata = std::max(strata, int(label) + 2);
  const bool grouped =
      std::any_of(data.groups.begin(), data.groups.end(), [](const std::string& g) { return !g.empty(); });

  Units units;
  units.class_total.assign(size_t(strata), 0);
  std::map<std::string, size_t> unit_of_group;
  for (size_t i = 0; i < n; ++i) {
    const int stratum = int(data.labels[i]) + 1;
    HEP2_CHECK(stratum >= 0, "label ", data.labels[i], " of cell ", i, " is below -1");
    size_t u = units.list.size();
    const std::string& group = i < data.groups.size() ? data.groups[i] : std::string();
    if (grouped && !group.empty()) {
      auto [it, inserted] = unit_of_group.emplace(group, units.list.size());
      u = it->second;
      if (inserted) units.list.push_back({{}, std::vector<int>(size_t(strata), 0)});
    } else {
      units.list.push_back({{}, std::vector<int>(size_t(strata), 0)});
    }
    units.list[u].members.push_back(int(i));
    units.list[u].per_class[size_t(stratum)] += 1;
    units.class_total[size_t(stratum)] += 1;
  }
  Rng rng(seed);
  for (size_t i = units.list.size(); i > 1; --i) std::swap(units.list[i - 1], units.list[rng.below(uint32_t(i))]);
  std::stable_sort(units.list.begin(), units.list.end(),
                   [](const Unit& a, const Unit& b) { return a.members.size() > b.members.size(); });
  return units;
}

SplitIndices own_split(const Dataset& data) {
  SplitIndices out;
  for (size_t i = 0; i < data.size(); ++i) {
    const std::string& value = i < data.splits.size() ? data.splits[i] : std::string();
    const std::string split = canonical_split(value);
    const std::string path = i < data.paths.size() ? data.paths[i] : std::string("?");
    if (split.empty())
      fail("cell ", i, " ('", path, "') has split '", value, "' but the data brings its own split: every ",
           "cell needs train, val or test");
    (split == "train" ? out.train : out.test).push_back(int(i));
  }
  if (out.train.empty() || out.test.empty())
    fail("the data's own split has no ", out.train.empty() ? "train" : "test (or val)", " cell: give some cells ",
         out.train.empty() ? "split train" : "split test or val", ", or drop the split column to split by seed");
  return out;
}

}  // namespace

SplitIndices split_dataset(const Dataset& data, double test_fraction, uint64_t seed) {
  if (std::any_of(data.splits.begin(), data.splits.end(), [](const std::string& s) { return !s.empty(); }))
    return own_split(data);
  if (!(test_fraction > 0.0 && test_fraction < 1.0))
    fail("test fraction ", test_fraction, " must be between 0 and 1 (exclusive)");
  const Units units = make_units(data, seed);
  if (units.list.size() < 2)
    fail("cannot split: all ", data.size(), " cells are in one group ('", data.groups.empty() ? "" : data.groups[0],
         "'); a grouped split needs at least two groups");

  const size_t strata = units.class_total.size();
  std::vector<double> target(strata);
  for (size_t c = 0; c < strata; ++c) target[c] = test_fraction * units.class_total[c];
  std::vector<int> in_test(strata, 0);
  std::vector<bool> to_test(units.list.size(), false);
  for (size_t u = 0; u < units.list.size(); ++u) {
    double change = 0.0;  // how much closer to the targets the test side gets (negative = closer)
    for (size_t c = 0; c < strata; ++c) {
      const int g = units.list[u].per_class[c];
      if (g) change += std::abs(in_test[c] + g - target[c]) - std::abs(in_test[c] - target[c]);
    }
    if (change < 0.0) {
      to_test[u] = true;
      for (size_t c = 0; c < strata; ++c) in_test[c] += units.list[u].per_class[c];
    }
  }
  // Both sides need a cell; the smallest unit (last) is the cheapest to move.
  const bool any_test = std::find(to_test.begin(), to_test.end(), true) != to_test.end();
  const bool any_train = std::find(to_test.begin(), to_test.end(), false) != to_test.end();
  if (!any_test) to_test.back() = true;
  if (!any_train) to_test.back() = false;

  SplitIndices out;
  for (size_t u = 0; u < units.list.size(); ++u)
    for (int i : units.list[u].members) (to_test[u] ? out.test : out.train).push_back(i);
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.test.begin(), out.test.end());
  return out;
}

std::vector<std::vector<int>> stratified_folds(const Dataset& data, int k, uint64_t seed) {
  if (k < 2) fail("need at least 2 folds, got ", k);
  const Units units = make_units(data, seed);
  if (units.list.size() < size_t(k))
    fail("cannot make ", k, " folds from ", units.list.size(), " ",
         std::any_of(data.groups.begin(), data.groups.end(), [](const std::string& g) { return !g.empty(); })
             ? "groups (cells of a group stay in one fold)"
             : "cells",
         ": use fewer folds");
  const size_t strata = units.class_total.size();
  std::vector<std::vector<int>> count(static_cast<size_t>(k), std::vector<int>(strata, 0));
  std::vector<size_t> fold_size(static_cast<size_t>(k), 0);
  std::vector<std::vector<int>> folds(static_cast<size_t>(k));
  for (const Unit& unit : units.list) {
    // The fold where adding the unit grows the squared distance to the per-class targets least;
    // ties go to the smaller fold, then the lower index.
    size_t best = 0;
    double best_cost = 0.0;
    for (size_t f = 0; f < size_t(k); ++f) {
      double cost = 0.0;
      for (size_t c = 0; c < strata; ++c) {
        const int g = unit.per_class[c];
        if (g) cost += g * (2.0 * (count[f][c] - double(units.class_total[c]) / k) + g);
      }
      if (f == 0 || cost < best_cost || (cost == best_cost && fold_size[f] < fold_size[best])) {
        best = f;
        best_cost = cost;
      }
    }
    for (size_t c = 0; c < strata; ++c) count[best][c] += unit.per_class[c];
    fold_size[best] += unit.members.size();
    folds[best].insert(folds[best].end(), unit.members.begin(), unit.members.end());
  }
  for (auto& fold : folds) {
    if (fold.empty()) fail("fold assignment left a fold empty: use fewer folds");
    std::sort(fold.begin(), fold.end());
  }
  return folds;
}

SplitIndices fold_split(const std::vector<std::vector<int>>& folds, int f) {
  if (f < 0 || size_t(f) >= folds.size()) fail("fold ", f, " does not exist (", folds.size(), " folds)");
  SplitIndices out;
  out.test = folds[size_t(f)];
  for (size_t g = 0; g < folds.size(); ++g)
    if (g != size_t(f)) out.train.insert(out.train.end(), folds[g].begin(), folds[g].end());
  std::sort(out.train.begin(), out.train.end());
  return out;
}

}  // namespace hep2
