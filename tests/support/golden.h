// Golden-value test support: load a PyTorch fixture by name (HEP2_FIXTURES/golden/<name>.npy,
// written by tools/reference/make_fixtures.py), regenerate the hash-filled inputs that script
// used, and compare results within a tolerance relative to the expected tensor's max magnitude.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/io/npy.h"

namespace hep2::golden {

inline std::string fixture_path(const std::string& name) {
  return std::string(HEP2_FIXTURES) + "/golden/" + name + ".npy";
}

inline std::string shape_str(const std::vector<size_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

// Loads a fixture and insists on the shape the test's geometry implies, so a fixture regenerated
// with other sizes cannot be compared element by element against the wrong layout.
inline npy::Array load_array(const std::string& name, const std::vector<size_t>& shape) {
  npy::Array a = npy::load(fixture_path(name));
  if (a.shape != shape)
    fail("golden fixture ", fixture_path(name), " has shape ", shape_str(a.shape),
         " but the test expects ", shape_str(shape),
         "; regenerate with tools/reference/make_fixtures.py or fix the test's geometry");
  return a;
}
inline std::vector<float> load_f32(const std::string& name, const std::vector<size_t>& shape) {
  return load_array(name, shape).to_f32();
}
inline std::vector<int32_t> load_i32(const std::string& name, const std::vector<size_t>& shape) {
  return load_array(name, shape).to_i32();
}

// The C++ twin of hep2_reference.hash_fill: lo + (hi - lo) * hash_uniform(seed, i) in float32.
// The fixtures use power-of-two ranges, for which every step is exact.
inline std::vector<float> hash_fill(uint64_t seed, size_t count, float lo, float hi) {
  std::vector<float> v(count);
  for (size_t i = 0; i < count; ++i) v[i] = lo + (hi - lo) * hash_uniform(seed, i);
  return v;
}

// Bit-for-bit equality (NaN-safe, distinguishes -0 from +0): for inputs that both sides generate.
inline ::testing::AssertionResult same_bits(const std::vector<float>& actual,
                                            const std::vector<float>& expected) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i) {
    uint32_t a, e;
    std::memcpy(&a, &actual[i], 4);
    std::memcpy(&e, &expected[i], 4);
    if (a != e)
      return ::testing::AssertionFailure()
             << "element " << i << ": " << actual[i] << " != expected " << expected[i];
  }
  return ::testing::AssertionSuccess();
}

// Every element within rel * max|expected| of its expected value. NaN never passes, so output
// buffers pre-filled with NaN prove that an op wrote every element.
inline ::testing::AssertionResult near_rel_max(const std::vector<float>& actual,
                                               const std::vector<float>& expected, double rel) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected " << expected.size();
  double scale = 0;
  for (float e : expected) scale = std::fmax(scale, std::fabs(double(e)));
  const double tol = rel * scale;
  size_t bad = 0, worst = 0;
  double worst_diff = -1;
  for (size_t i = 0; i < actual.size(); ++i) {
    double diff = std::fabs(double(actual[i]) - double(expected[i]));
    if (!(diff <= tol)) {
      ++bad;
      if (!(diff <= worst_diff)) {  // NaN counts as the worst
        worst_diff = std::isnan(diff) ? INFINITY : diff;
        worst = i;
      }
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << actual.size() << " elements off by more than " << tol << " (" << rel
         << " x max|expected| " << scale << "); worst at " << worst << ": got " << actual[worst]
         << ", expected " << expected[worst];
}

}  // namespace hep2::golden
