// Classification metrics from true and predicted labels: the confusion matrix, accuracy, the mean
// class accuracy (MCA, the field's figure of merit), per-class precision / recall / F1, and their
// JSON and terminal renderings.
#pragma once
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hep2 {

struct Metrics {
  int classes = 0;
  size_t count = 0;
  std::vector<std::vector<int64_t>> confusion;  // [truth][predicted]
  double accuracy = 0;                          // correct / count
  // Mean of the per-class recalls over the classes present in the truth: a class with no true
  // sample has no recall to average, and counting it as 0 would punish a test split for the
  // classes it happens to lack.
  double mca = 0;
  // Per class. Conventions for the empty cases (no division by zero, never NaN, so JSON stays
  // valid): precision of a class never predicted = 0; recall of a class absent from the truth = 0
  // (and it is left out of the MCA); F1 = 0 when precision + recall = 0.
  std::vector<double> precision, recall, f1;
  std::vector<int64_t> support;    // true samples per class (row sums of the confusion matrix)
  std::vector<int64_t> predicted;  // predictions per class (column sums)
};

// Throws Error when the sizes differ, there are no samples, classes < 1, or a label is outside
// [0, classes) (the message names the first offending index and value).
Metrics compute_metrics(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted,
                        int classes);

// {"count", "accuracy", "mca", "classes": [names in label order],
//  "per_class": {name: {"precision", "recall", "f1", "support", "predicted"}},
//  "confusion": {"rows": "truth", "columns": "predicted", "labels": [names], "matrix": [[...]]}}
// class_names must hold `classes` distinct names.
nlohmann::json metrics_json(const Metrics& metrics, const std::vector<std::string>& class_names);

// metrics_json written atomically, indented for people.
void write_metrics_json(const std::string& path, const Metrics& metrics,
                        const std::vector<std::string>& class_names);

// A fixed-width text table for the terminal: accuracy and MCA, one line per class with
// precision, recall, F1 and support, then the confusion matrix (rows truth, columns predicted,
// columns headed by the class index so long names do not widen every column).
std::string metrics_table(const Metrics& metrics, const std::vector<std::string>& class_names);

}  // namespace hep2
