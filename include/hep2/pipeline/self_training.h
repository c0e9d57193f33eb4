// Self-training of the least-squares classifier on unlabelled cells. With a few labelled
// specimens the classifier sees little of the variation between specimens; the unlabelled cells
// (other specimens, no labels needed) carry it. Each round fits on the labelled cells plus the
// pseudo-labelled ones, predicts the unlabelled cells, and keeps the most confident share of each
// predicted class as pseudo-labelled cells for the next round: 1/R of them after round 1, all of
// them after round R. The labelled cells' labels never change.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hep2/pipeline/least_squares.h"

namespace hep2 {

struct SelfTrainingReport {
  int rounds = 0;
  size_t unlabelled_rows = 0;
  std::vector<size_t> pseudo_per_class;  // the last round's pseudo-labels, per class
};

// The classes and confidences (the highest softmax probability) that `w` gives the listed rows
// of x (rows x inputs, row-major).
void predict_linear(const LinearWeights& w, const float* x, const std::vector<size_t>& rows,
                    std::vector<int32_t>& classes, std::vector<double>& confidence);

// The most confident floor(share * n_c) rows of each predicted class c (n_c rows predicted c),
// as indices into `classes`; ties go to the earlier row, so the choice is deterministic.
std::vector<size_t> most_confident(const std::vector<int32_t>& classes,
                                   const std::vector<double>& confidence, int class_count,
                                   double share);

// fit_least_squares over the labelled rows (labels[k] the class of labelled_rows[k]), then
// `rounds` rounds of self-training on unlabelled_rows; the final fit is the one returned. With no
// rounds or no unlabelled rows it is fit_least_squares itself.
LinearWeights fit_self_trained(const float* x, int inputs, const std::vector<size_t>& labelled_rows,
                               const std::vector<int32_t>& labels,
                               const std::vector<size_t>& unlabelled_rows, int classes,
                               const LeastSquaresOptions& opt, int rounds,
                               SelfTrainingReport* report = nullptr);

}  // namespace hep2
