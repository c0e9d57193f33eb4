// Class-probability tables (rows x classes) of the same rows, and their mean: the readings of one
// DCAE give that DCAE's prediction, the DCAEs of an ensemble give the ensemble's.
#pragma once
#include <vector>

namespace hep2 {

class ProbabilityMean {
 public:
  void add(std::vector<float> p);  // every table has the same size
  std::vector<float> mean() const;  // added in order: the same bits every time
  const std::vector<std::vector<float>>& tables() const { return tables_; }

 private:
  std::vector<std::vector<float>> tables_;
};

// The ensemble's prediction: the mean of the members' means (each member weighs the same,
// whatever its number of readings).
std::vector<float> mean_of_members(const std::vector<ProbabilityMean>& members);

}  // namespace hep2
