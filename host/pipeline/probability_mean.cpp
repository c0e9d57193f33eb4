// ProbabilityMean and mean_of_members.
#include "hep2/pipeline/probability_mean.h"

#include "hep2/core/error.h"

namespace hep2 {

void ProbabilityMean::add(std::vector<float> p) {
  HEP2_CHECK(tables_.empty() || p.size() == tables_[0].size(), "probability tables of ", p.size(),
             " and ", tables_[0].size(), " values");
  tables_.push_back(std::move(p));
}

std::vector<float> ProbabilityMean::mean() const {
  HEP2_CHECK(!tables_.empty(), "no probability table to average");
  std::vector<float> m(tables_[0].size(), 0.f);
  for (const auto& t : tables_)
    for (size_t i = 0; i < m.size(); ++i) m[i] += t[i];
  for (float& v : m) v /= float(tables_.size());
  return m;
}

std::vector<float> mean_of_members(const std::vector<ProbabilityMean>& members) {
  ProbabilityMean ensemble;
  for (const ProbabilityMean& m : members) ensemble.add(m.mean());
  return ensemble.mean();
}

}  // namespace hep2
