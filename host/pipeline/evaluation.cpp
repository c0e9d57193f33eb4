// evaluate_ensemble: the ensemble's, the specimens', each DCAE's and each reading's figures.
#include "hep2/pipeline/evaluation.h"

#include "hep2/core/error.h"
#include "hep2/pipeline/training.h"
#include "hep2/report/group_vote.h"

namespace hep2 {

Evaluation evaluate_ensemble(const std::vector<ProbabilityMean>& members,
                             const EnsembleLayout& layout, const std::vector<int>& rows,
                             const std::vector<int32_t>& truth,
                             const std::vector<std::string>& groups, int classes) {
  Evaluation e;
  e.rows = rows;
  e.truth = truth;
  e.probabilities = mean_of_members(members);
  e.predicted = argmax_rows(e.probabilities, classes);
  e.cells = compute_metrics(truth, e.predicted, classes);
  std::vector<std::string> test_groups;
  for (int r : rows)
    if (size_t(r) < groups.size() && !groups[r].empty()) test_groups.push_back(groups[r]);
  if (test_groups.size() == rows.size() && !rows.empty()) {
    // The pattern of a specimen (image) is the majority of its cells' predictions.
    GroupVote v = vote_by_group(test_groups, truth, e.predicted, e.probabilities, classes);
    e.groups = compute_metrics(v.truth, v.predicted, classes);
  }
  if (!layout.per_member) return e;
  HEP2_CHECK(members.size() == layout.member_seeds.size(), members.size(),
             " probability sets for ", layout.member_seeds.size(), " DCAE members");
  for (size_t k = 0; k < members.size(); ++k) {
    const uint64_t seed = layout.member_seeds[k];
    const std::vector<std::vector<float>>& tables = members[k].tables();
    HEP2_CHECK(tables.size() == layout.reading_sizes.size(), tables.size(),
               " probability tables for ", layout.reading_sizes.size(), " readings of DCAE member ",
               k + 1);
    if (members.size() > 1)
      e.members.push_back({int(k + 1), seed,
                           compute_metrics(truth, argmax_rows(members[k].mean(), classes), classes)});
    if (tables.size() > 1)
      for (size_t r = 0; r < tables.size(); ++r)
        e.readings.push_back({int(k + 1), seed, layout.reading_sizes[r],
                              compute_metrics(truth, argmax_rows(tables[r], classes), classes)});
  }
  return e;
}

}  // namespace hep2
