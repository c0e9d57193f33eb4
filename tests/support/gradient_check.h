// Finite-difference gradient checks (test ladder, rung 2).
//
// A scalar function of the checked tensor is probed with central differences in double, at two
// step sizes. Where the two estimates disagree the probe straddles a kink (ReLU at 0, a max-pool
// switching its winner) and the coordinate is skipped, as Caffe's GradientChecker does; everywhere
// else the analytic gradient must match to rtol. A check fails if too many coordinates had to be
// skipped, so a kink-heavy input cannot hide a wrong gradient.
#pragma once
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace hep2::test {

struct GradCheckResult {
  size_t checked = 0, skipped = 0, failed = 0;
  double worst = 0;  // worst |fd - analytic| / scale among checked coordinates
  std::string first_failure;
  bool ok(double max_skip_fraction = 0.1) const {
    return failed == 0 && checked > 0 &&
           double(skipped) <= max_skip_fraction * double(checked + skipped);
  }
};

// f(values) evaluates the scalar at the current contents of `values` (which it may read by
// reference). analytic[i] is the claimed df/dvalues[i]. Probes at most `max_coords` coordinates,
// spread evenly (all when 0).
inline GradCheckResult check_gradient(std::vector<float>& values, const std::vector<float>& analytic,
                                      const std::function<double()>& f, double eps = 1e-2,
                                      double rtol = 1e-2, double atol = 1e-4,
                                      size_t max_coords = 0) {
  GradCheckResult r;
  size_t n = values.size();
  size_t stride = (max_coords && n > max_coords) ? (n + max_coords - 1) / max_coords : 1;
  // The scale against which errors are measured: the gradient's own typical size, so a tensor of
  // tiny gradients is not passed by atol alone.
  double scale = 0;
  for (float g : analytic) scale = std::max(scale, double(std::fabs(g)));
  scale = std::max(scale, atol);
  for (size_t i = 0; i < n; i += stride) {
    float orig = values[i];
    auto central = [&](double h) {
      values[i] = float(orig + h);
      double hi = double(values[i]);
      double fp = f();
      values[i] = float(orig - h);
      double lo = double(values[i]);
      double fm = f();
      values[i] = orig;
      return (fp - fm) / (hi - lo);  // the actual float step, not the nominal one
    };
    double d1 = central(eps);
    double d2 = central(eps / 2);
    if (std::fabs(d1 - d2) > rtol * scale) {
      ++r.skipped;
      continue;
    }
    ++r.checked;
    double err = std::fabs(d2 - double(analytic[i])) / scale;
    r.worst = std::max(r.worst, err);
    if (err > rtol) {
      if (!r.failed) {
        std::ostringstream os;
        os << "coordinate " << i << ": finite difference " << d2 << ", analytic " << analytic[i]
           << " (scale " << scale << ")";
        r.first_failure = os.str();
      }
      ++r.failed;
    }
  }
  return r;
}

inline std::string describe(const GradCheckResult& r) {
  std::ostringstream os;
  os << r.checked << " checked, " << r.skipped << " skipped at kinks, " << r.failed
     << " failed, worst relative error " << r.worst;
  if (r.failed) os << "; first: " << r.first_failure;
  return os.str();
}

}  // namespace hep2::test
