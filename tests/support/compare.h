// How the GPU tests (tests/gpu) and the SIMT harness (tests/simt) compare a kernel's result with
// the CPU backend's: one definition for both, so the two ladders hold the kernels to the same bar.
//
// close: FP32 on both sides, different summation orders. Rounding differences are near
// sqrt(K) 2^-24 of the tensor's scale for K-term sums (K <= a few thousand here: < 1e-5), while a
// wrong index, tap or offset moves an element by a whole term (>= 1e-2 of the scale). Each element
// must lie within kRel = 1e-4 of the reference relative to the larger of |ref| and the reference's
// RMS (elements that cancel to near zero are judged on the tensor's scale), and the norm-wise
// relative error must be below kRel too. NaN or infinity never passes.
// same: exact equality element by element, for ops that only move, compare or round explicitly
// (NaN never equals, so an element nobody wrote fails).
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace hep2::test {

constexpr double kRel = 1e-4;

inline ::testing::AssertionResult close(const std::vector<float>& got,
                                        const std::vector<float>& ref) {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << ref.size();
  double ref_sq = 0.0, diff_sq = 0.0;
  for (float r : ref) ref_sq += double(r) * r;
  const double rms = ref.empty() ? 0.0 : std::sqrt(ref_sq / double(ref.size()));
  size_t bad = 0, first_bad = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = std::fabs(double(got[i]) - double(ref[i]));
    const bool ok = std::isfinite(got[i]) && std::isfinite(ref[i]) &&
                    d <= kRel * std::max(std::fabs(double(ref[i])), rms);
    if (std::isfinite(d)) diff_sq += d * d;
    if (!ok && bad++ == 0) first_bad = i;
  }
  const double norm_rel = ref_sq > 0 ? std::sqrt(diff_sq / ref_sq) : std::sqrt(diff_sq);
  if (bad || !(norm_rel < kRel))
    return ::testing::AssertionFailure()
           << bad << " of " << ref.size() << " elements off"
           << (bad ? " (first [" + std::to_string(first_bad) + "]: got " +
                         std::to_string(got[first_bad]) + ", cpu " +
                         std::to_string(ref[first_bad]) + ")"
                   : std::string())
           << ", norm-wise relative error " << norm_rel;
  return ::testing::AssertionSuccess();
}

template <class T>
::testing::AssertionResult same(const std::vector<T>& got, const std::vector<T>& ref) {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << ref.size();
  for (size_t i = 0; i < ref.size(); ++i)
    if (!(got[i] == ref[i]))  // NaN never equals
      return ::testing::AssertionFailure()
             << "element " << i << " of " << ref.size() << ": got " << got[i] << ", cpu "
             << ref[i];
  return ::testing::AssertionSuccess();
}

}  // namespace hep2::test
