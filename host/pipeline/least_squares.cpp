// Class-balanced least-squares linear classifier: normal equations accumulated in double, solved
// by Cholesky, then scaled by a fitted temperature so that softmax(scores) is calibrated. The
// system is (inputs + 1) square (193 for the texture statistics), so the solve is instant on the
// host; the pass over the cells costs rows * inputs^2 / 2 multiply-adds.
#include "hep2/pipeline/least_squares.h"

#include <algorithm>
#include <cmath>
#include <numeric>

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
  std::vector<size_t> all(rows);
  std::iota(all.begin(), all.end(), size_t(0));
  return fit_least_squares(x, inputs, all, labels, classes, opt);
}

LinearWeights fit_least_squares(const float* x, int inputs, const std::vector<size_t>& row_of,
                                const int32_t* labels, int classes,
                                const LeastSquaresOptions& opt) {
  if (inputs < 1 || classes < 2) fail("least squares: ", inputs, " features, ", classes, " classes");
  const size_t rows = row_of.size();
  if (rows == 0) fail("least squares: no training cells");
  if (!(opt.ridge >= 0 && std::isfinite(opt.ridge))) fail("least squares: ridge ", opt.ridge);
  std::vector<size_t> per_class(size_t(classes), 0);
  for (size_t r = 0; r < rows; ++r) {
    if (labels[r] < 0 || labels[r] >= classes)
      fail("least squares: label ", labels[r], " of row ", r, " is outside 0..", classes - 1);
    ++per_class[size_t(labels[r])];
  }
  const size_t n = size_t(inputs) + 1, c = size_t(classes);
  auto feature_row = [&](size_t r) { return x + row_of[r] * size_t(inputs); };
  std::vector<double> weight_of(rows);
  double total = 0;
  for (size_t r = 0; r < rows; ++r) {
    const size_t y = size_t(labels[r]);
    weight_of[r] = opt.balance ? double(rows) / (double(c) * double(per_class[y])) : 1.0;
    total += weight_of[r];
  }
  // Normal equations over z = [x, 1]: G = sum w z z^T (upper triangle), B = sum w z onehot^T.
  // Rows go in blocks so that a row of G is updated by a whole block while it is in cache (G is
  // 134 MB for the 4096-value latent); each element still adds its rows in row order.
  constexpr size_t kBlock = 32;
  std::vector<double> g(n * n, 0.0), b(n * c, 0.0), z(kBlock * n), wz(kBlock * n);
  for (size_t r0 = 0; r0 < rows; r0 += kBlock) {
    const size_t nb = std::min(kBlock, rows - r0);
    for (size_t k = 0; k < nb; ++k) {
      const float* xr = feature_row(r0 + k);
      const double w = weight_of[r0 + k];
      double* zk = &z[k * n];
      for (size_t j = 0; j + 1 < n; ++j) zk[j] = double(xr[j]);
      zk[n - 1] = 1.0;
      for (size_t j = 0; j < n; ++j) wz[k * n + j] = w * zk[j];
      const size_t y = size_t(labels[r0 + k]);
      for (size_t i = 0; i < n; ++i) b[i * c + y] += wz[k * n + i];
    }
    for (size_t i = 0; i < n; ++i) {
      double* gi = &g[i * n];
      for (size_t k = 0; k < nb; ++k) {
        const double wi = wz[k * n + i];
        const double* zk = &z[k * n];
        for (size_t j = i; j < n; ++j) gi[j] += wi * zk[j];
      }
    }
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) g[i * n + j] = g[j * n + i];
  for (size_t j = 0; j + 1 < n; ++j) g[j * n + j] += opt.ridge * total;
  if (!cholesky(g, n))
    fail("least squares: the features are linearly dependent (a constant or repeated feature) "
         "and the ridge penalty ", opt.ridge, " is too small to make the problem well posed; "
         "raise {clf_ridge}");
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
      const float* xr = feature_row(r);
      for (size_t j = 0; j + 1 < n; ++j) s += col[j] * double(xr[j]);
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
