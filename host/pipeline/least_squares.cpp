// Class-balanced least-squares linear classifier: normal equations accumulated in double, solved
// by Cholesky, then scaled by a fitted temperature so that softmax(scores) is calibrated. The
// system is (inputs + 1) square (193 for the texture statistics), so the solve is instant on the
// host; the pass over the cells costs rows * inputs^2 / 2 multiply-adds.
#include "hep2/pipeline/least_squares.h"

#include <algorithm>
#include <cmath>

#include "hep2/core/error.h"

namespace hep2 {

namespace {

// In-place Cholesky factor (lower triangle) of the n x n symmetric matrix a; false if it is not
// positive definite.
bool cholesky(std::vector<double>& a, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (size_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
  }
  return true;
}

// Solves L L^T x = b in place for one right-hand side.
void cholesky_solve(const std::vector<double>& l, size_t n, double* b) {
  for (size_t i = 0; i < n; ++i) {
    double s = b[i];
    for (size_t k = 0; k < i; ++k) s -= l[i * n + k] * b[k];
    b[i] = s / l[i * n + i];
  }
  for (size_t i = n; i-- > 0;) {
    double s = b[i];
    for (size_t k = i + 1; k < n; ++k) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

// d/dT of sum_i w_i (logsumexp(T s_i) - T s_i[y_i]): sum_i w_i (E_softmax(T s_i)[s] - s_i[y_i]).
// Increasing in T (the loss is convex in T).
double cross_entropy_slope(const std::vector<double>& scores, const std::vector<double>& w,
                           const int32_t* labels, size_t c, double t) {
  double slope = 0;
  for (size_t r = 0; r < w.size(); ++r) {
    const double* s = &scores[r * c];
    double top = s[0];
    for (size_t k = 1; k < c; ++k) top = std::max(top, s[k]);
    double z = 0, mean = 0;
    for (size_t k = 0; k < c; ++k) {
      const double e = std::exp(t * (s[k] - top));
      z += e;
      mean += e * s[k];
    }
    slope += w[r] * (mean / z - s[size_t(labels[r])]);
  }
  return slope;
}

// The temperature in [1e-2, 1e4] where the slope crosses zero, by bisection on log T; the bound
// when it does not cross (e.g. separable training cells: the loss falls forever).
double fit_temperature(const std::vector<double>& scores, const std::vector<double>& w,
                       const int32_t* labels, size_t c) {
  double lo = std::log(1e-2), hi = std::log(1e4);
  if (cross_entropy_slope(scores, w, labels, c, std::exp(hi)) < 0) return std::exp(hi);
  if (cross_entropy_slope(scores, w, labels, c, std::exp(lo)) > 0) return std::exp(lo);
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (cross_entropy_slope(scores, w, labels, c, std::exp(mid)) < 0 ? lo : hi) = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

}  // namespace

LinearWeights fit_least_squares(const float* x, size_t rows, int inputs, const int32_t* labels,
                                int classes, const LeastSquaresOptions& opt) {
  if (inputs < 1 || classes < 2) fail("least squares: ", inputs, " features, ", classes, " classes");
  if (rows == 0) fail("least squares: no training cells");
  if (!(opt.ridge >= 0 && std::isfinite(opt.ridge))) fail("least squares: ridge ", opt.ridge);
  std::vector<size_t> per_class(size_t(classes), 0);
  for (size_t r = 0; r < rows; ++r) {
    if (labels[r] < 0 || labels[r] >= classes)
      fail("least squares: label ", labels[r], " of row ", r, " is outside 0..", classes - 1);
    ++per_class[size_t(labels[r])];
  }
  // Normal equations over z = [x, 1]: G = sum w z z^T (upper triangle), B = sum w z onehot^T.
  const size_t n = size_t(inputs) + 1, c = size_t(classes);
  std::vector<double> g(n * n, 0.0), b(n * c, 0.0), z(n);
  double total = 0;
  std::vector<double> weight_of(rows);
  for (size_t r = 0; r < rows; ++r) {
    const size_t y = size_t(labels[r]);
    const double w = opt.balance ? double(rows) / (double(c) * double(per_class[y])) : 1.0;
    weight_of[r] = w;
    total += w;
    for (size_t j = 0; j + 1 < n; ++j) z[j] = double(x[r * size_t(inputs) + j]);
    z[n - 1] = 1.0;
    for (size_t i = 0; i < n; ++i) {
      const double wi = w * z[i];
      double* gi = &g[i * n];
      for (size_t j = i; j < n; ++j) gi[j] += wi * z[j];
      b[i * c + y] += wi;
    }
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) g[i * n + j] = g[j * n + i];
  for (size_t j = 0; j + 1 < n; ++j) g[j * n + j] += opt.ridge * total;
  if (!cholesky(g, n))
    fail("least squares: the features are linearly dependent (a constant or repeated feature) "
         "and the ridge penalty ", opt.ridge, " is too small to make the problem well posed; "
         "raise --clf-ridge");
  LinearWeights out;
  out.inputs = inputs;
  out.classes = classes;
  out.weight.resize(c * size_t(inputs));
  out.bias.resize(c);
  std::vector<double> beta(n * c);  // column k: the weights and bias of class k
  for (size_t k = 0; k < c; ++k) {
    double* col = &beta[k * n];
    for (size_t i = 0; i < n; ++i) col[i] = b[i * c + k];
    cholesky_solve(g, n, col);
  }
  std::vector<double> scores(rows * c);
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < c; ++k) {
      const double* col = &beta[k * n];
      double s = col[n - 1];
      for (size_t j = 0; j + 1 < n; ++j) s += col[j] * double(x[r * size_t(inputs) + j]);
      scores[r * c + k] = s;
    }
  out.temperature = fit_temperature(scores, weight_of, labels, c);
  for (size_t k = 0; k < c; ++k) {
    const double* col = &beta[k * n];
    for (size_t j = 0; j + 1 < n; ++j)
      out.weight[k * size_t(inputs) + j] = float(out.temperature * col[j]);
    out.bias[k] = float(out.temperature * col[n - 1]);
  }
  return out;
}

}  // namespace hep2
