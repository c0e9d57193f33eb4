// training_subset: whole groups, or blocks of consecutive cells, per class.
#include "hep2/pipeline/training_subset.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"

namespace hep2 {

std::vector<int> training_subset(const Dataset& data, const std::vector<int>& train, size_t cells,
                                 uint64_t seed) {
  if (cells == 0) fail("a training subset needs at least one cell");
  if (cells >= train.size()) return train;
  const bool grouped = std::any_of(train.begin(), train.end(), [&](int i) {
    return size_t(i) < data.groups.size() && !data.groups[size_t(i)].empty();
  });
  // The training cells of each class, in data order.
  std::map<int32_t, std::vector<int>> by_class;
  for (int i : train) by_class[data.labels.at(size_t(i))].push_back(i);
  Rng rng(seed, 0x5b5e7);
  std::vector<int> out;
  for (const auto& [label, members] : by_class) {
    const size_t want = std::max<size_t>(
        1, size_t(std::llround(double(cells) * double(members.size()) / double(train.size()))));
    // The class's units: its groups (in order of first appearance), or aligned blocks.
    std::vector<std::vector<int>> units;
    if (grouped) {
      std::map<std::string, size_t> unit_of;
      for (int i : members) {
        const std::string& g = size_t(i) < data.groups.size() ? data.groups[size_t(i)] : std::string();
        auto [it, added] = unit_of.emplace(g.empty() ? "#" + std::to_string(i) : g, units.size());
        if (added) units.emplace_back();
        units[it->second].push_back(i);
      }
    } else {
      for (size_t b = 0; b < members.size(); b += kSubsetBlock)
        units.emplace_back(members.begin() + long(b),
                           members.begin() + long(std::min(members.size(), b + kSubsetBlock)));
    }
    for (size_t i = units.size(); i > 1; --i) std::swap(units[i - 1], units[rng.below(uint32_t(i))]);
    size_t taken = 0;
    for (const std::vector<int>& u : units) {
      if (taken >= want) break;
      const size_t n = grouped ? u.size() : std::min(u.size(), want - taken);
      out.insert(out.end(), u.begin(), u.begin() + long(n));
      taken += n;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace hep2
