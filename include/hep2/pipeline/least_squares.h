// The linear classifier of hep2's texture features: class-balanced least squares (ridge
// regression onto one-hot class targets, the classifier of Fisher's discriminant analysis),
// solved exactly. On the DCAE's texture statistics it generalises to unseen specimens better than
// an MLP or softmax regression on the same features (docs/accuracy.md has the measurements).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hep2 {

// Scores of a cell: weight (classes x inputs, row-major: PyTorch's Linear layout) times its
// features, plus bias; the predicted class is the highest score.
struct LinearWeights {
  int inputs = 0, classes = 0;
  std::vector<float> weight, bias;
  double temperature = 1;  // the calibration factor already applied to weight and bias
};

struct LeastSquaresOptions {
  // Weight of every cell 1 / (cells of its class): each class counts alike (for mean class
  // accuracy); false: every cell counts alike.
  bool balance = true;
  // Ridge penalty on the weights (not the bias), relative to the total cell weight: it keeps the
  // solve well posed when features are constant or duplicated. Features should be standardised.
  double ridge = 1e-3;
};

// Minimises sum_i w_i |W x_i + b - onehot(label_i)|^2 + ridge * (sum_i w_i) * |W|^2 over the
// `rows` feature rows x (rows x inputs, row-major, host memory). Normal equations in double,
// Cholesky solve. Throws Error when a label is outside [0, classes) or the system is singular.
// The least-squares scores are not probabilities, and hep2 reports softmax(scores) as the class
// probabilities: so W and b are then multiplied by the temperature T > 0 that minimises the
// (same-weighted) cross-entropy of softmax(T * scores) on these rows. The predicted class does not
// change; the reported probabilities become calibrated. `temperature` in the result.
LinearWeights fit_least_squares(const float* x, size_t rows, int inputs, const int32_t* labels,
                                int classes, const LeastSquaresOptions& opt);
// The same over the listed rows of x only (row_of[k]: the row of x that is the k-th training row,
// labels[k] its class): a caller's feature table need not be copied into a training table.
LinearWeights fit_least_squares(const float* x, int inputs, const std::vector<size_t>& row_of,
                                const int32_t* labels, int classes,
                                const LeastSquaresOptions& opt);

}  // namespace hep2
