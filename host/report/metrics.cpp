// Confusion matrix and the metrics derived from it (see include/hep2/report/metrics.h).
#include "hep2/report/metrics.h"

#include <algorithm>
#include <iomanip>
#include <set>
#include <sstream>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"

namespace hep2 {

namespace {

double ratio(int64_t num, int64_t den) {
  return den > 0 ? static_cast<double>(num) / static_cast<double>(den) : 0.0;
}

void check_names(const Metrics& m, const std::vector<std::string>& names) {
  if (static_cast<int>(names.size()) != m.classes)
    fail("metrics: ", names.size(), " class names for ", m.classes,
         " classes (pass one name per class, in label order)");
  std::set<std::string> seen;
  for (const auto& n : names)
    if (!seen.insert(n).second)
      fail("metrics: class name '", n, "' appears twice (class names must be distinct)");
}

}  // namespace

Metrics compute_metrics(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted,
                        int classes) {
  if (classes < 1) fail("metrics: classes = ", classes, " (need at least one class)");
  if (truth.size() != predicted.size())
    fail("metrics: ", truth.size(), " true labels but ", predicted.size(),
         " predictions (they must pair up one to one)");
  if (truth.empty()) fail("metrics: no samples to score (the evaluation set is empty)");
  Metrics m;
  m.classes = classes;
  m.count = truth.size();
  const auto k = static_cast<size_t>(classes);
  m.confusion.assign(k, std::vector<int64_t>(k, 0));
  for (size_t i = 0; i < truth.size(); ++i) {
    const int32_t t = truth[i], p = predicted[i];
    if (t < 0 || t >= classes)
      fail("metrics: true label ", t, " at index ", i, " is outside [0, ", classes, ")");
    if (p < 0 || p >= classes)
      fail("metrics: predicted label ", p, " at index ", i, " is outside [0, ", classes, ")");
    ++m.confusion[t][p];
  }
  m.support.assign(k, 0);
  m.predicted.assign(k, 0);
  int64_t correct = 0;
  for (size_t t = 0; t < k; ++t) {
    correct += m.confusion[t][t];
    for (size_t p = 0; p < k; ++p) {
      m.support[t] += m.confusion[t][p];
      m.predicted[p] += m.confusion[t][p];
    }
  }
  m.accuracy = ratio(correct, static_cast<int64_t>(m.count));
  m.precision.resize(k);
  m.recall.resize(k);
  m.f1.resize(k);
  double recall_sum = 0;
  int present = 0;
  for (size_t c = 0; c < k; ++c) {
    m.precision[c] = ratio(m.confusion[c][c], m.predicted[c]);
    m.recall[c] = ratio(m.confusion[c][c], m.support[c]);
    const double pr = m.precision[c] + m.recall[c];
    m.f1[c] = pr > 0 ? 2 * m.precision[c] * m.recall[c] / pr : 0.0;
    if (m.support[c] > 0) {
      recall_sum += m.recall[c];
      ++present;
    }
  }
  m.mca = recall_sum / present;  // present >= 1: there is at least one sample
  return m;
}

nlohmann::json metrics_json(const Metrics& m, const std::vector<std::string>& names) {
  check_names(m, names);
  nlohmann::json j;
  j["count"] = m.count;
  j["accuracy"] = m.accuracy;
  j["mca"] = m.mca;
  j["classes"] = names;
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < names.size(); ++c)
    per_class[names[c]] = {{"precision", m.precision[c]},
                           {"recall", m.recall[c]},
                           {"f1", m.f1[c]},
                           {"support", m.support[c]},
                           {"predicted", m.predicted[c]}};
  j["per_class"] = per_class;
  j["confusion"] = {
      {"rows", "truth"}, {"columns", "predicted"}, {"labels", names}, {"matrix", m.confusion}};
  return j;
}

void write_metrics_json(const std::string& path, const Metrics& m,
                        const std::vector<std::string>& names) {
  write_file_atomic(path, metrics_json(m, names).dump(2) + "\n");
}

std::string metrics_table(const Metrics& m, const std::vector<std::string>& names) {
  check_names(m, names);
  int name_w = 5;  // "class"
  for (const auto& n : names) name_w = std::max(name_w, static_cast<int>(n.size()));
  const int idx_w = static_cast<int>(std::to_string(m.classes - 1).size());
  const int label_w = idx_w + 1 + name_w;  // "3 nucleolar"
  std::ostringstream out;
  const auto label = [&](size_t c) {
    out << std::right << std::setw(idx_w) << c << ' ' << std::left << std::setw(name_w) << names[c];
  };

  out << std::fixed << std::setprecision(2) << "accuracy " << 100 * m.accuracy << "%   MCA "
      << 100 * m.mca << "%   (" << m.count << " samples, " << m.classes << " classes)\n\n";
  out << std::left << std::setw(label_w) << "class"
      << "  precision  recall      f1  support\n";
  out << std::setprecision(4);
  for (size_t c = 0; c < names.size(); ++c) {
    label(c);
    out << std::right << "  " << std::setw(9) << m.precision[c] << "  " << std::setw(6)
        << m.recall[c] << "  " << std::setw(6) << m.f1[c] << "  " << std::setw(7) << m.support[c]
        << '\n';
  }

  int64_t largest = 0;
  for (const auto& row : m.confusion)
    for (int64_t v : row) largest = std::max(largest, v);
  const int cell_w = std::max(static_cast<int>(std::to_string(largest).size()), idx_w) + 1;
  out << "\nconfusion (rows truth, columns predicted)\n" << std::setw(label_w) << "";
  for (int c = 0; c < m.classes; ++c) out << ' ' << std::right << std::setw(cell_w) << c;
  out << '\n';
  for (size_t t = 0; t < names.size(); ++t) {
    label(t);
    for (int64_t v : m.confusion[t]) out << ' ' << std::right << std::setw(cell_w) << v;
    out << '\n';
  }
  return out.str();
}

}  // namespace hep2
