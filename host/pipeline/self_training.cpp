// Self-training of the least-squares classifier: fit, pseudo-label the most confident share of
// the unlabelled rows per predicted class, refit; the share grows to all of them.
#include "hep2/pipeline/self_training.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hep2/core/error.h"

namespace hep2 {

void predict_linear(const LinearWeights& w, const float* x, const std::vector<size_t>& rows,
                    std::vector<int32_t>& classes, std::vector<double>& confidence) {
  const size_t c = size_t(w.classes), d = size_t(w.inputs);
  classes.assign(rows.size(), 0);
  confidence.assign(rows.size(), 0.0);
  std::vector<double> s(c);
  for (size_t r = 0; r < rows.size(); ++r) {
    const float* xr = x + rows[r] * d;
    for (size_t k = 0; k < c; ++k) {
      double v = w.bias[k];
      const float* wk = &w.weight[k * d];
      for (size_t j = 0; j < d; ++j) v += double(wk[j]) * double(xr[j]);
      s[k] = v;
    }
    const size_t top = size_t(std::max_element(s.begin(), s.end()) - s.begin());
    double z = 0;
    for (size_t k = 0; k < c; ++k) z += std::exp(s[k] - s[top]);
    classes[r] = int32_t(top);
    confidence[r] = 1.0 / z;
  }
}

std::vector<size_t> most_confident(const std::vector<int32_t>& classes,
                                   const std::vector<double>& confidence, int class_count,
                                   double share) {
  HEP2_CHECK(classes.size() == confidence.size(), "most_confident: ", classes.size(),
             " classes but ", confidence.size(), " confidences");
  std::vector<std::vector<size_t>> by_class(static_cast<size_t>(class_count));
  for (size_t r = 0; r < classes.size(); ++r) by_class.at(size_t(classes[r])).push_back(r);
  std::vector<size_t> keep;
  for (std::vector<size_t>& rows : by_class) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](size_t a, size_t b) { return confidence[a] > confidence[b]; });
    const size_t n = size_t(std::floor(share * double(rows.size()) + 1e-9));
    keep.insert(keep.end(), rows.begin(), rows.begin() + long(std::min(n, rows.size())));
  }
  std::sort(keep.begin(), keep.end());
  return keep;
}

LinearWeights fit_self_trained(const float* x, int inputs, const std::vector<size_t>& labelled_rows,
                               const std::vector<int32_t>& labels,
                               const std::vector<size_t>& unlabelled_rows, int classes,
                               const LeastSquaresOptions& opt, int rounds,
                               SelfTrainingReport* report) {
  if (rounds < 0) fail("self-training: ", rounds, " rounds");
  HEP2_CHECK(labels.size() == labelled_rows.size(), "self-training: ", labels.size(), " labels for ",
             labelled_rows.size(), " rows");
  LinearWeights w = fit_least_squares(x, inputs, labelled_rows, labels.data(), classes, opt);
  if (report) *report = {rounds, unlabelled_rows.size(), std::vector<size_t>(size_t(classes), 0)};
  if (unlabelled_rows.empty()) return w;
  std::vector<int32_t> predicted;
  std::vector<double> confidence;
  for (int r = 1; r <= rounds; ++r) {
    predict_linear(w, x, unlabelled_rows, predicted, confidence);
    const std::vector<size_t> keep =
        most_confident(predicted, confidence, classes, double(r) / double(rounds));
    std::vector<size_t> rows = labelled_rows;
    std::vector<int32_t> y = labels;
    for (size_t k : keep) {
      rows.push_back(unlabelled_rows[k]);
      y.push_back(predicted[k]);
    }
    w = fit_least_squares(x, inputs, rows, y.data(), classes, opt);
    if (report && r == rounds) {
      std::fill(report->pseudo_per_class.begin(), report->pseudo_per_class.end(), 0);
      for (size_t k : keep) ++report->pseudo_per_class[size_t(predicted[k])];
    }
  }
  return w;
}

}  // namespace hep2
