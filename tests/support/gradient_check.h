// Finite-difference gradient checks (test ladder, rung 2).
//
// A scalar function of the checked values is probed with central differences in double, at two
// step sizes. Where the two estimates disagree the probe straddles a kink (ReLU at 0, a max-pool
// switching its winner) and the coordinate is skipped, as Caffe's GradientChecker does; everywhere
// else the analytic gradient must match to rtol. A check fails if too many coordinates had to be
// skipped, so a kink-heavy input cannot hide a wrong gradient.
//
// The values may hold several tensors (a model's flat parameter vector: weights and biases of
// every layer). Each tensor is judged against its own scale, the largest of its analytic and
// finite-difference gradients: measured against one scale for all, a tensor whose gradients are
// a few percent of the largest anywhere could be wrong, even zero, and still pass.
#pragma once
#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace hep2::test {

struct GradCheckResult {
  size_t checked = 0, skipped = 0, failed = 0;
  double scale = 0;  // what errors were divided by: max |gradient| of the tensor (or atol)
  double worst = 0;  // worst |fd - analytic| / scale among checked coordinates
  std::string first_failure;
  bool ok(double max_skip_fraction = 0.1) const {
    return failed == 0 && checked > 0 &&
           double(skipped) <= max_skip_fraction * double(checked + skipped);
  }
};

// A named slice [offset, offset + count) of the checked values, judged on its own.
struct TensorSpan {
  std::string name;
  size_t offset = 0, count = 0;
};

// One result per tensor. ok(): every tensor passed; the kink skips are counted over all tensors
// (a tensor of four biases behind a ReLU may lose one probe to a kink without that meaning
// anything), but each tensor must have had coordinates checked.
struct GradCheckReport {
  std::vector<std::pair<std::string, GradCheckResult>> tensors;
  bool ok(double max_skip_fraction = 0.1) const {
    size_t checked = 0, skipped = 0;
    for (const auto& [name, r] : tensors) {
      if (r.failed || r.checked == 0) return false;
      checked += r.checked;
      skipped += r.skipped;
    }
    return !tensors.empty() && double(skipped) <= max_skip_fraction * double(checked + skipped);
  }
  // The result of one tensor by name (nullptr when absent).
  const GradCheckResult* find(const std::string& name) const {
    for (const auto& [n, r] : tensors)
      if (n == name) return &r;
    return nullptr;
  }
};

struct GradCheckOptions {
  double eps = 1e-2;        // the larger of the two probe steps
  double rtol = 1e-2;       // allowed |fd - analytic| / scale
  double atol = 1e-4;       // the least scale: a tensor of gradients below it is checked to atol
  size_t max_coords = 0;    // probes per tensor, spread evenly (all when 0)
};

// f() evaluates the scalar at the current contents of `values` (which it may read by reference).
// analytic[i] is the claimed df/dvalues[i]. Each span is probed and judged on its own.
inline GradCheckReport check_gradients(std::vector<float>& values,
                                       const std::vector<float>& analytic,
                                       const std::function<double()>& f,
                                       const std::vector<TensorSpan>& spans,
                                       const GradCheckOptions& o = {}) {
  GradCheckReport report;
  for (const TensorSpan& span : spans) {
    GradCheckResult r;
    const size_t n = span.count;
    const size_t stride = (o.max_coords && n > o.max_coords) ? (n + o.max_coords - 1) / o.max_coords : 1;
    // Probe first, judge after: the scale includes the finite differences, so an analytic
    // gradient that is wrongly zero (or wrongly tiny) is measured against the true size.
    struct Probe {
      size_t i;
      double d1, d2;
    };
    std::vector<Probe> probes;
    for (size_t k = 0; k < n; k += stride) {
      const size_t i = span.offset + k;
      const float orig = values[i];
      auto central = [&](double h) {
        values[i] = float(orig + h);
        const double hi = double(values[i]);
        const double fp = f();
        values[i] = float(orig - h);
        const double lo = double(values[i]);
        const double fm = f();
        values[i] = orig;
        return (fp - fm) / (hi - lo);  // the actual float step, not the nominal one
      };
      const double d1 = central(o.eps);
      probes.push_back({i, d1, central(o.eps / 2)});
    }
    double scale = o.atol;
    for (size_t k = 0; k < n; ++k) scale = std::max(scale, double(std::fabs(analytic[span.offset + k])));
    for (const Probe& p : probes) scale = std::max(scale, std::fabs(p.d2));
    r.scale = scale;
    for (const Probe& p : probes) {
      if (std::fabs(p.d1 - p.d2) > o.rtol * scale) {
        ++r.skipped;
        continue;
      }
      ++r.checked;
      const double err = std::fabs(p.d2 - double(analytic[p.i])) / scale;
      r.worst = std::max(r.worst, err);
      if (err > o.rtol) {
        if (!r.failed) {
          std::ostringstream os;
          os << "coordinate " << p.i - span.offset << ": finite difference " << p.d2
             << ", analytic " << analytic[p.i] << " (scale " << scale << ")";
          r.first_failure = os.str();
        }
        ++r.failed;
      }
    }
    report.tensors.emplace_back(span.name, r);
  }
  return report;
}

// The whole of `values` as one tensor.
inline GradCheckResult check_gradient(std::vector<float>& values, const std::vector<float>& analytic,
                                      const std::function<double()>& f, double eps = 1e-2,
                                      double rtol = 1e-2, double atol = 1e-4,
                                      size_t max_coords = 0) {
  return check_gradients(values, analytic, f, {{"all", 0, values.size()}},
                         {eps, rtol, atol, max_coords})
      .tensors[0]
      .second;
}

inline std::string describe(const GradCheckResult& r) {
  std::ostringstream os;
  os << r.checked << " checked, " << r.skipped << " skipped at kinks, " << r.failed
     << " failed, worst relative error " << r.worst << " (scale " << r.scale << ")";
  if (r.failed) os << "; first: " << r.first_failure;
  return os.str();
}

inline std::string describe(const GradCheckReport& report) {
  std::ostringstream os;
  for (const auto& [name, r] : report.tensors) os << "\n  " << name << ": " << describe(r);
  return os.str();
}

}  // namespace hep2::test
