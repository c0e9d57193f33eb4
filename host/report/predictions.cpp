// Predictions files of `hep2 classify` (see include/hep2/report/predictions.h).
#include "hep2/report/predictions.h"

#include <nlohmann/json.hpp>
#include <set>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"
#include "hep2/report/csv.h"

namespace hep2 {

namespace {

void check_inputs(const std::string& out_path, const std::vector<std::string>& paths,
                  const std::vector<int32_t>& predicted, const std::vector<float>& probs,
                  const std::vector<std::string>& names) {
  if (names.empty()) fail("cannot write ", out_path, ": no class names");
  std::set<std::string> seen;
  for (const auto& n : names)
    if (!seen.insert(n).second)
      fail("cannot write ", out_path, ": class name '", n,
           "' appears twice (names must be distinct)");
  if (predicted.size() != paths.size())
    fail("cannot write ", out_path, ": ", paths.size(), " image paths but ", predicted.size(),
         " predictions (need one prediction per image)");
  if (!probs.empty() && probs.size() != paths.size() * names.size())
    fail("cannot write ", out_path, ": ", probs.size(), " probabilities for ", paths.size(),
         " images x ", names.size(), " classes (pass images x classes values, or none)");
  const auto k = static_cast<int32_t>(names.size());
  for (size_t i = 0; i < predicted.size(); ++i)
    if (predicted[i] < 0 || predicted[i] >= k)
      fail("cannot write ", out_path, ": predicted label ", predicted[i], " of ", paths[i],
           " is outside [0, ", k, ")");
}

}  // namespace

void write_predictions_csv(const std::string& path, const std::vector<std::string>& paths,
                           const std::vector<int32_t>& predicted, const std::vector<float>& probs,
                           const std::vector<std::string>& names) {
  check_inputs(path, paths, predicted, probs, names);
  const size_t k = names.size();
  std::vector<std::string> header = {"path", "predicted"};
  if (!probs.empty())
    for (const auto& n : names) header.push_back("p_" + n);
  std::string text = csv_row(header);
  std::vector<std::string> row;
  for (size_t i = 0; i < paths.size(); ++i) {
    row = {paths[i], names[predicted[i]]};
    if (!probs.empty())
      for (size_t c = 0; c < k; ++c) row.push_back(format_number(probs[i * k + c]));
    text += csv_row(row);
  }
  write_file_atomic(path, text);
}

void write_predictions_json(const std::string& path, const std::vector<std::string>& paths,
                            const std::vector<int32_t>& predicted, const std::vector<float>& probs,
                            const std::vector<std::string>& names) {
  check_inputs(path, paths, predicted, probs, names);
  const size_t k = names.size();
  // ordered_json keeps the keys in the order written: path first, probabilities in label order.
  nlohmann::ordered_json j;
  j["classes"] = names;
  auto& list = j["predictions"] = nlohmann::ordered_json::array();
  for (size_t i = 0; i < paths.size(); ++i) {
    nlohmann::ordered_json item;
    item["path"] = paths[i];
    item["predicted"] = names[predicted[i]];
    item["label"] = predicted[i];
    if (!probs.empty()) {
      nlohmann::ordered_json p = nlohmann::ordered_json::object();
      for (size_t c = 0; c < k; ++c) p[names[c]] = probs[i * k + c];
      item["probabilities"] = p;
    }
    list.push_back(std::move(item));
  }
  write_file_atomic(path, j.dump(2) + "\n");
}

}  // namespace hep2
