// The ridge of the least-squares classifier chosen on the training cells alone: blocked
// cross-validation inside the labelled training cells, each fold whole specimens (groups; without
// groups, blocks of kSubsetBlock consecutive cells of a class), so that the choice reflects new
// specimens, as the test cells are. A fixed ridge suits one data size only: few labelled cells
// want a stronger one (docs/accuracy.md, the learning curve).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hep2/pipeline/least_squares.h"

namespace hep2 {

inline constexpr double kRidgeCandidates[] = {1e-3, 1e-2, 1e-1, 1.0};
inline constexpr int kRidgeFolds = 5;

// The fold (0..folds-1) of each of `rows` (indices into labels/groups): per class, its specimens
// (blocks) in a seeded order dealt to the folds in turn.
std::vector<int> specimen_folds(const std::vector<int>& rows, const std::vector<int32_t>& labels,
                                const std::vector<std::string>& groups, int folds, uint64_t seed);

struct RidgeChoice {
  double ridge = 0;
  std::vector<double> mca;  // the cross-validated mean class accuracy of each candidate
};

// x: feature rows (rows of `inputs` values, host memory); row_of[k] the row of training cell k,
// labels[k] its class, fold_of[k] its fold. Fits each candidate ridge on all folds but one and
// scores the one left out; the candidate with the best mean class accuracy over all held-out
// cells wins (ties: the larger ridge). One fold or fewer than two classes: the first candidate.
RidgeChoice choose_ridge(const float* x, int inputs, const std::vector<size_t>& row_of,
                         const std::vector<int32_t>& labels, int classes,
                         const std::vector<int>& fold_of, const LeastSquaresOptions& options);

}  // namespace hep2
