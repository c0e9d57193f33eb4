// hold_out_validation: whole specimens, blocks of consecutive cells per class, or a random slice.
#include "hep2/pipeline/holdout.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "hep2/core/rng.h"

namespace hep2 {

HoldoutSplit hold_out_validation(const std::vector<int>& train, const std::vector<int32_t>& labels,
                                 const std::vector<std::string>& groups, int classes,
                                 const HoldoutOptions& options, int member, uint64_t seed) {
  HoldoutSplit s;
  if (options.fraction <= 0) {
    s.fit = train;
    return s;
  }
  std::vector<int>& fit = s.fit;
  std::vector<int>& val = s.val;
  Rng rng(seed + uint64_t(member) * 1000, 0x5a1);
  bool grouped = options.mode == Holdout::Specimen && !train.empty();
  for (int i : train) grouped = grouped && size_t(i) < groups.size() && !groups[i].empty();
  if (grouped) {
    std::map<std::string, std::vector<int>> cells_of;
    for (int i : train) cells_of[groups[i]].push_back(i);
    std::vector<const std::vector<int>*> order;
    for (const auto& [name, cells] : cells_of) order.push_back(&cells);
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(uint32_t(i))]);
    const size_t want = size_t(std::floor(options.fraction * double(train.size())));
    for (const auto* g : order) {  // whole groups until the slice is big enough
      const bool to_val = val.size() < want || val.empty();
      auto& side = to_val ? val : fit;
      side.insert(side.end(), g->begin(), g->end());
      s.val_groups += to_val;
    }
    if (fit.empty()) std::swap(fit, val);  // a single group: no hold-out possible
    if (s.val_groups < kMinHoldoutGroups) {
      s.off = "the hold-out would rest on " + std::to_string(s.val_groups) + " specimen" +
              (s.val_groups == 1 ? "" : "s") + " (fewer than " + std::to_string(kMinHoldoutGroups) + ")";
      s.fit = train;
      std::sort(s.fit.begin(), s.fit.end());
      s.val.clear();
      s.val_groups = 0;
      return s;
    }
  } else {
    std::vector<std::vector<int>> by_class(size_t(std::max(classes, 0)));
    for (int i : train) by_class.at(size_t(labels.at(size_t(i)))).push_back(i);
    for (auto& v : by_class) {
      if (options.mode == Holdout::Random)
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(uint32_t(i))]);
      const size_t nv = size_t(std::floor(options.fraction * double(v.size())));
      // Specimen mode without groups: a block of consecutive cells from the end of the class in
      // data order; ensemble member k takes the k-th block (wrapping round when they run out).
      const size_t blocks = nv ? std::max<size_t>(1, v.size() / nv) : 1;
      const size_t end = v.size() - (size_t(member) % blocks) * nv, begin = end - nv;
      for (size_t i = 0; i < v.size(); ++i) (i >= begin && i < end ? val : fit).push_back(v[i]);
      if (options.mode == Holdout::Specimen && !v.empty() && nv < kMinHoldoutCellsPerClass &&
          s.off.empty())
        s.off = "the hold-out would hold " + std::to_string(nv) + " cells of a class (fewer than " +
                std::to_string(kMinHoldoutCellsPerClass) + ", part of one specimen)";
    }
    if (!s.off.empty()) {
      s.fit = train;
      std::sort(s.fit.begin(), s.fit.end());
      s.val.clear();
      return s;
    }
  }
  std::sort(fit.begin(), fit.end());
  std::sort(val.begin(), val.end());
  return s;
}

}  // namespace hep2
