// Majority vote of cells per group (see include/hep2/report/group_vote.h).
#include "hep2/report/group_vote.h"

#include <map>

#include "hep2/core/error.h"

namespace hep2 {

GroupVote vote_by_group(const std::vector<std::string>& groups, const std::vector<int32_t>& truth,
                        const std::vector<int32_t>& predicted, const std::vector<float>& probs,
                        int classes) {
  if (classes < 1) fail("group vote: classes = ", classes, " (need at least one class)");
  const size_t n = groups.size();
  if (truth.size() != n || predicted.size() != n)
    fail("group vote: ", n, " group names, ", truth.size(), " true labels and ", predicted.size(),
         " predictions (need one of each per cell)");
  const auto k = static_cast<size_t>(classes);
  if (!probs.empty() && probs.size() != n * k)
    fail("group vote: ", probs.size(), " probabilities for ", n, " cells x ", classes,
         " classes (pass n x classes values, or none)");

  struct Tally {
    int32_t truth = -1;
    int64_t cells = 0;
    std::vector<int64_t> votes;
    std::vector<double> prob_sum;  // double: a sum over many cells must not depend on rounding
  };
  std::map<std::string, Tally> tallies;  // ordered by name: deterministic output
  for (size_t i = 0; i < n; ++i) {
    const int32_t t = truth[i], p = predicted[i];
    if (t < 0 || t >= classes)
      fail("group vote: true label ", t, " of cell ", i, " is outside [0, ", classes, ")");
    if (p < 0 || p >= classes)
      fail("group vote: predicted label ", p, " of cell ", i, " is outside [0, ", classes, ")");
    Tally& g = tallies[groups[i]];
    if (g.cells == 0) {
      g.truth = t;
      g.votes.assign(k, 0);
      g.prob_sum.assign(k, 0.0);
    } else if (g.truth != t) {
      fail("group vote: group '", groups[i], "' has cells of true class ", g.truth, " and ", t,
           " (a group must be one specimen or image with one pattern; check the group column)");
    }
    ++g.cells;
    ++g.votes[p];
    if (!probs.empty())
      for (size_t c = 0; c < k; ++c) g.prob_sum[c] += probs[i * k + c];
  }

  GroupVote out;
  for (const auto& [name, g] : tallies) {
    // Comparing sums is comparing means: every class shares the group's cell count.
    size_t best = 0;
    for (size_t c = 1; c < k; ++c)
      if (g.votes[c] > g.votes[best] ||
          (g.votes[c] == g.votes[best] && g.prob_sum[c] > g.prob_sum[best]))
        best = c;
    out.groups.push_back(name);
    out.truth.push_back(g.truth);
    out.predicted.push_back(static_cast<int32_t>(best));
    out.cells.push_back(g.cells);
  }
  return out;
}

}  // namespace hep2
