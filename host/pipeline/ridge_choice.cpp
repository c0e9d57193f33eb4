// specimen_folds and choose_ridge.
#include "hep2/pipeline/ridge_choice.h"

#include <algorithm>
#include <map>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/pipeline/training_subset.h"

namespace hep2 {

std::vector<int> specimen_folds(const std::vector<int>& rows, const std::vector<int32_t>& labels,
                                const std::vector<std::string>& groups, int folds, uint64_t seed) {
  HEP2_CHECK(folds >= 1, "folds ", folds);
  // The specimens of each class, as lists of positions in `rows`.
  std::map<int32_t, std::vector<std::vector<size_t>>> units;
  std::map<int32_t, std::map<std::string, size_t>> unit_of_group;
  std::map<int32_t, size_t> in_block;
  for (size_t k = 0; k < rows.size(); ++k) {
    const size_t i = size_t(rows[k]);
    const int32_t c = labels.at(i);
    auto& list = units[c];
    const std::string g = i < groups.size() ? groups[i] : std::string();
    if (!g.empty()) {
      auto [it, added] = unit_of_group[c].emplace(g, list.size());
      if (added) list.emplace_back();
      list[it->second].push_back(k);
    } else {
      if (in_block[c] % kSubsetBlock == 0) list.emplace_back();
      ++in_block[c];
      list.back().push_back(k);
    }
  }
  std::vector<int> fold_of(rows.size(), 0);
  Rng rng(seed, 0xf01d);
  for (auto& [c, list] : units) {
    for (size_t i = list.size(); i > 1; --i) std::swap(list[i - 1], list[rng.below(uint32_t(i))]);
    for (size_t u = 0; u < list.size(); ++u)
      for (size_t k : list[u]) fold_of[k] = int(u % size_t(folds));
  }
  return fold_of;
}

RidgeChoice choose_ridge(const float* x, int inputs, const std::vector<size_t>& row_of,
                         const std::vector<int32_t>& labels, int classes,
                         const std::vector<int>& fold_of, const LeastSquaresOptions& options) {
  HEP2_CHECK(row_of.size() == labels.size() && labels.size() == fold_of.size(), "sizes ",
             row_of.size(), ", ", labels.size(), ", ", fold_of.size());
  RidgeChoice choice;
  choice.ridge = kRidgeCandidates[0];
  const int folds = fold_of.empty() ? 0 : *std::max_element(fold_of.begin(), fold_of.end()) + 1;
  std::vector<int> present(size_t(classes), 0);
  for (int32_t l : labels) present.at(size_t(l)) = 1;
  if (folds < 2 || std::count(present.begin(), present.end(), 1) < 2) return choice;
  double best = -1;
  for (double ridge : kRidgeCandidates) {
    LeastSquaresOptions o = options;
    o.ridge = ridge;
    // Held-out hits and cells of each class, over all folds.
    std::vector<double> hit(size_t(classes), 0), seen(size_t(classes), 0);
    for (int f = 0; f < folds; ++f) {
      std::vector<size_t> fit_rows;
      std::vector<int32_t> fit_labels;
      for (size_t k = 0; k < row_of.size(); ++k)
        if (fold_of[k] != f) {
          fit_rows.push_back(row_of[k]);
          fit_labels.push_back(labels[k]);
        }
      if (fit_rows.empty()) continue;
      const LinearWeights w =
          fit_least_squares(x, inputs, fit_rows, fit_labels.data(), classes, o);
      for (size_t k = 0; k < row_of.size(); ++k) {
        if (fold_of[k] != f) continue;
        const float* v = x + row_of[k] * size_t(inputs);
        int top = 0;
        double top_score = 0;
        for (int c = 0; c < classes; ++c) {
          double s = w.bias[size_t(c)];
          for (int j = 0; j < inputs; ++j) s += double(w.weight[size_t(c) * size_t(inputs) + size_t(j)]) * v[j];
          if (c == 0 || s > top_score) {
            top = c;
            top_score = s;
          }
        }
        seen[size_t(labels[k])] += 1;
        hit[size_t(labels[k])] += top == labels[k];
      }
    }
    double sum = 0;
    int counted = 0;
    for (int c = 0; c < classes; ++c)
      if (seen[size_t(c)] > 0) {
        sum += hit[size_t(c)] / seen[size_t(c)];
        ++counted;
      }
    const double mca = counted ? sum / counted : 0;
    choice.mca.push_back(mca);
    if (mca >= best) {  // ties go to the larger ridge: the candidates rise
      best = mca;
      choice.ridge = ridge;
    }
  }
  return choice;
}

}  // namespace hep2
