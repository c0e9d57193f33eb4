// The linear classifier's solver (fit_least_squares): its answer satisfies the normal equations of
// the weighted ridge problem, its temperature makes softmax(scores) calibrated, class balance makes
// the solution blind to how many cells a class has, listed rows of a larger table solve like a
// copied table, it separates separable classes, and it refuses bad input with what to do.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/pipeline/least_squares.h"

namespace hep2 {
namespace {

// Three Gaussian classes in `dim` features; class k shifts feature k by `shift` standard
// deviations. sizes: cells per class.
struct Blobs {
  int dim = 6, classes = 3;
  std::vector<float> x;
  std::vector<int32_t> y;
  Blobs(std::vector<int> sizes, double shift, uint64_t seed) {
    Rng rng(seed);
    for (int k = 0; k < classes; ++k)
      for (int i = 0; i < sizes[size_t(k)]; ++i) {
        for (int j = 0; j < dim; ++j) x.push_back(float(rng.normal() + (j == k ? shift : 0.0)));
        y.push_back(k);
      }
  }
  size_t rows() const { return y.size(); }
};

// Gradient of sum_i w_i |W x_i + b - e_i|^2 + ridge * sum(w) * |W|^2 (halved), in double: zero at
// the minimiser.
double worst_gradient(const Blobs& d, const LinearWeights& m, bool balance, double ridge) {
  std::vector<double> count(size_t(d.classes), 0);
  for (int32_t c : d.y) count[size_t(c)] += 1;
  std::vector<double> gw(m.weight.size(), 0), gb(m.bias.size(), 0);
  double total = 0;
  for (size_t i = 0; i < d.rows(); ++i) {
    const double w = balance ? double(d.rows()) / (d.classes * count[size_t(d.y[i])]) : 1.0;
    total += w;
    for (int k = 0; k < d.classes; ++k) {
      double s = m.bias[size_t(k)];
      for (int j = 0; j < d.dim; ++j) s += double(m.weight[size_t(k * d.dim + j)]) * d.x[i * d.dim + j];
      const double r = w * (s - (d.y[i] == k ? 1.0 : 0.0));
      for (int j = 0; j < d.dim; ++j) gw[size_t(k * d.dim + j)] += r * d.x[i * d.dim + j];
      gb[size_t(k)] += r;
    }
  }
  double worst = 0;
  for (size_t i = 0; i < gw.size(); ++i)
    worst = std::max(worst, std::fabs(gw[i] + ridge * total * m.weight[i]) / total);
  for (double g : gb) worst = std::max(worst, std::fabs(g) / total);
  return worst;
}

TEST(LeastSquares, SolvesTheWeightedRidgeNormalEquations) {
  Blobs d({120, 40, 75}, 1.0, 3);
  for (bool balance : {false, true})
    for (double ridge : {1e-3, 0.5}) {
      LeastSquaresOptions o;
      o.balance = balance;
      o.ridge = ridge;
      LinearWeights m = fit_least_squares(d.x.data(), d.rows(), d.dim, d.y.data(), d.classes, o);
      ASSERT_EQ(m.weight.size(), size_t(d.classes * d.dim));
      ASSERT_EQ(m.bias.size(), size_t(d.classes));
      ASSERT_GT(m.temperature, 0);
      for (float& v : m.weight) v = float(v / m.temperature);  // the least-squares solution itself
      for (float& v : m.bias) v = float(v / m.temperature);
      // float weights of a double solution: the gradient is zero up to their rounding.
      EXPECT_LT(worst_gradient(d, m, balance, ridge), 1e-6) << balance << " " << ridge;
      // A wrong answer (one weight nudged) is not a minimiser.
      m.weight[2] += 0.01f;
      EXPECT_GT(worst_gradient(d, m, balance, ridge), 1e-4);
    }
}

// softmax(W x + b) of one row.
std::vector<double> probabilities(const LinearWeights& m, const float* x) {
  std::vector<double> p(size_t(m.classes));
  double top = -1e300, z = 0;
  for (int k = 0; k < m.classes; ++k) {
    double s = m.bias[size_t(k)];
    for (int j = 0; j < m.inputs; ++j) s += double(m.weight[size_t(k * m.inputs + j)]) * x[j];
    p[size_t(k)] = s;
    top = std::max(top, s);
  }
  for (double& v : p) z += (v = std::exp(v - top));
  for (double& v : p) v /= z;
  return p;
}

TEST(LeastSquares, ReportedProbabilitiesAreCalibrated) {
  // Overlapping classes: about a quarter of the cells are misclassified whatever the rule.
  Blobs train({400, 400, 400}, 1.2, 5), test({400, 400, 400}, 1.2, 6);
  LeastSquaresOptions o;
  LinearWeights m = fit_least_squares(train.x.data(), train.rows(), train.dim, train.y.data(),
                                      train.classes, o);
  EXPECT_GT(m.temperature, 2);  // raw least-squares scores are far too flat for a softmax
  // The temperature minimises the training cross-entropy: scaling it either way costs.
  auto cross_entropy = [&](double scale) {
    LinearWeights s = m;
    for (float& v : s.weight) v = float(v * scale);
    for (float& v : s.bias) v = float(v * scale);
    double ce = 0;
    for (size_t i = 0; i < train.rows(); ++i)
      ce -= std::log(probabilities(s, &train.x[i * train.dim])[size_t(train.y[i])]);
    return ce;
  };
  EXPECT_LT(cross_entropy(1.0), cross_entropy(0.8));
  EXPECT_LT(cross_entropy(1.0), cross_entropy(1.25));
  // Calibrated: on new cells, the mean confidence of the predicted class matches the accuracy.
  double confidence = 0, right = 0;
  for (size_t i = 0; i < test.rows(); ++i) {
    std::vector<double> p = probabilities(m, &test.x[i * test.dim]);
    const size_t best = size_t(std::max_element(p.begin(), p.end()) - p.begin());
    confidence += p[best];
    right += best == size_t(test.y[i]);
  }
  confidence /= double(test.rows());
  right /= double(test.rows());
  EXPECT_GT(right, 0.6);
  EXPECT_LT(right, 0.9);
  EXPECT_NEAR(confidence, right, 0.04) << "accuracy " << right;
}

TEST(LeastSquares, BalancedSolutionIgnoresHowOftenAClassIsRepeated) {
  Blobs d({50, 20, 30}, 1.5, 7);
  Blobs twice = d;  // every cell of class 1 twice: balanced weights halve, the problem is the same
  for (size_t i = 0; i < d.rows(); ++i)
    if (d.y[i] == 1) {
      twice.x.insert(twice.x.end(), d.x.begin() + long(i) * d.dim, d.x.begin() + long(i + 1) * d.dim);
      twice.y.push_back(1);
    }
  LeastSquaresOptions o;
  LinearWeights a = fit_least_squares(d.x.data(), d.rows(), d.dim, d.y.data(), d.classes, o);
  LinearWeights b =
      fit_least_squares(twice.x.data(), twice.rows(), d.dim, twice.y.data(), d.classes, o);
  for (size_t i = 0; i < a.weight.size(); ++i) ASSERT_NEAR(a.weight[i], b.weight[i], 1e-5) << i;
  for (size_t i = 0; i < a.bias.size(); ++i) ASSERT_NEAR(a.bias[i], b.bias[i], 1e-5) << i;
  // Without balance the repeated class weighs more, and the solution moves.
  o.balance = false;
  LinearWeights c = fit_least_squares(d.x.data(), d.rows(), d.dim, d.y.data(), d.classes, o);
  LinearWeights e =
      fit_least_squares(twice.x.data(), twice.rows(), d.dim, twice.y.data(), d.classes, o);
  EXPECT_GT(std::fabs(c.bias[1] - e.bias[1]), 1e-2);
}

TEST(LeastSquares, ListedRowsOfALargerTableSolveLikeACopiedTable) {
  Blobs d({45, 30, 38}, 1.2, 11), other({20, 20, 20}, 3.0, 12);
  // A table whose training rows (d's, in order) sit between rows that are not listed.
  std::vector<float> table;
  std::vector<size_t> listed;
  for (size_t i = 0; i < d.rows(); ++i) {
    const size_t o = i % other.rows();
    table.insert(table.end(), other.x.begin() + long(o) * d.dim, other.x.begin() + long(o + 1) * d.dim);
    listed.push_back(table.size() / size_t(d.dim));
    table.insert(table.end(), d.x.begin() + long(i) * d.dim, d.x.begin() + long(i + 1) * d.dim);
  }
  LeastSquaresOptions o;
  LinearWeights copied = fit_least_squares(d.x.data(), d.rows(), d.dim, d.y.data(), d.classes, o);
  LinearWeights in_place = fit_least_squares(table.data(), d.dim, listed, d.y.data(), d.classes, o);
  EXPECT_EQ(in_place.weight, copied.weight);  // the same sums in the same order: the same bits
  EXPECT_EQ(in_place.bias, copied.bias);
  EXPECT_EQ(in_place.temperature, copied.temperature);
  // Listing other rows changes the answer (the list is what is read).
  listed[0] -= 1;
  LinearWeights moved = fit_least_squares(table.data(), d.dim, listed, d.y.data(), d.classes, o);
  EXPECT_NE(moved.weight, copied.weight);
}

TEST(LeastSquares, SeparatesWellSeparatedClasses) {
  Blobs train({60, 60, 60}, 8.0, 1), test({50, 50, 50}, 8.0, 2);
  LinearWeights m = fit_least_squares(train.x.data(), train.rows(), train.dim, train.y.data(),
                                      train.classes, LeastSquaresOptions{});
  int right = 0;
  for (size_t i = 0; i < test.rows(); ++i) {
    int best = 0;
    double top = -1e30;
    for (int k = 0; k < test.classes; ++k) {
      double s = m.bias[size_t(k)];
      for (int j = 0; j < test.dim; ++j) s += m.weight[size_t(k * test.dim + j)] * test.x[i * test.dim + j];
      if (s > top) top = s, best = k;
    }
    right += best == test.y[i];
  }
  EXPECT_EQ(right, int(test.rows()));
}

TEST(LeastSquares, RefusesBadLabelsAndSingularProblemsWithWhatToDo) {
  Blobs d({10, 10, 10}, 1.0, 4);
  LeastSquaresOptions o;
  d.y[3] = 5;
  EXPECT_THROW(fit_least_squares(d.x.data(), d.rows(), d.dim, d.y.data(), d.classes, o), Error);
  d.y[3] = 0;
  for (size_t i = 0; i < d.rows(); ++i) d.x[i * d.dim + 2] = 0.f;  // a constant feature
  o.ridge = 0;
  try {
    fit_least_squares(d.x.data(), d.rows(), d.dim, d.y.data(), d.classes, o);
    FAIL() << "a singular problem was solved";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("{clf_ridge}"), std::string::npos) << e.what();
  }
  o.ridge = 1e-3;  // the penalty makes it well posed
  EXPECT_NO_THROW(fit_least_squares(d.x.data(), d.rows(), d.dim, d.y.data(), d.classes, o));
}

}  // namespace
}  // namespace hep2
