// Group-level classification (one pattern per specimen or per image): the cells of a group vote
// with their predicted classes and the group takes the majority.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hep2 {

struct GroupVote {
  std::vector<int32_t> truth, predicted;  // one entry per group
  std::vector<std::string> groups;        // group names, sorted (so the order is the same
                                          // however the cells were shuffled)
  std::vector<int64_t> cells;             // cells per group
};

// groups[i], truth[i], predicted[i] describe cell i; probs is n x classes (row-major softmax
// outputs) or empty. The group's prediction is the class with most votes; a tie goes to the tied
// class with the highest mean probability over the group's cells, and when probs is empty (or the
// means tie too) to the smallest class index among the tied. Every cell of a group must carry the
// same true class (a specimen shows one pattern); otherwise Error names the group. Throws Error
// on mismatched sizes or labels outside [0, classes).
GroupVote vote_by_group(const std::vector<std::string>& groups, const std::vector<int32_t>& truth,
                        const std::vector<int32_t>& predicted, const std::vector<float>& probs,
                        int classes);

}  // namespace hep2
