// A smaller labelled training set made the way a small lab's data is: whole specimens, not cells
// sampled one by one (which would keep every specimen of the full set and flatter small-data
// figures). Cells of a group (specimen/image) are taken or left together; without groups, blocks
// of kSubsetBlock consecutive cells of a class in data order stand for specimens (datasets store
// a specimen's cells together, e.g. I3A's IDs). Each class keeps its share of the training cells.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hep2/pipeline/dataset.h"

namespace hep2 {

inline constexpr size_t kSubsetBlock = 50;

// About `cells` of the training cells `train` (indices into data), seeded: per class, whole
// groups (blocks) in a seeded order until the class's share is reached (groups: the last one
// whole, so a class may overshoot by less than one group; blocks: the last one cut). Sorted.
// cells >= train.size() returns train. Throws when cells is 0.
std::vector<int> training_subset(const Dataset& data, const std::vector<int>& train, size_t cells,
                                 uint64_t seed);

}  // namespace hep2
