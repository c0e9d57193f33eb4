// The output of `hep2 classify`: one predicted class (and optionally the class probabilities)
// per input image, as CSV for spreadsheets and as JSON for programs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hep2 {

// CSV with header "path,predicted,p_<class>..." (one p_ column per class, in label order, only
// when probs is non-empty); predicted is the class name; paths and names are RFC 4180-quoted
// when needed; probabilities in the shortest form that reads back to the same float.
// paths.size() = predicted.size() = n; probs is n x classes row-major or empty. Throws Error on
// mismatched sizes or a predicted label outside the class list.
void write_predictions_csv(const std::string& path, const std::vector<std::string>& paths,
                           const std::vector<int32_t>& predicted, const std::vector<float>& probs,
                           const std::vector<std::string>& class_names);

// JSON {"classes": [names], "predictions": [{"path", "predicted" (name), "label" (index),
// "probabilities": {name: p, ...} (only when probs is non-empty)}, ...]}, in input order.
void write_predictions_json(const std::string& path, const std::vector<std::string>& paths,
                            const std::vector<int32_t>& predicted, const std::vector<float>& probs,
                            const std::vector<std::string>& class_names);

}  // namespace hep2
