// Seeded random test data from hep2::Rng (the same numbers on every machine and library).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hep2/core/rng.h"

namespace hep2::test {

// `count` floats uniform in [lo, hi).
inline std::vector<float> random_floats(Rng& rng, size_t count, double lo = -1.0, double hi = 1.0) {
  std::vector<float> v(count);
  for (float& x : v) x = float(rng.uniform(lo, hi));
  return v;
}

inline std::vector<float> random_floats(uint64_t seed, size_t count, double lo = -1.0,
                                        double hi = 1.0) {
  Rng rng(seed);
  return random_floats(rng, count, lo, hi);
}

// An integer uniform in [lo, hi] (inclusive).
inline int random_int(Rng& rng, int lo, int hi) {
  return lo + int(rng.below(uint32_t(hi - lo + 1)));
}

// `count` int32 uniform in [0, n).
inline std::vector<int32_t> random_indices(Rng& rng, size_t count, int n) {
  std::vector<int32_t> v(count);
  for (int32_t& x : v) x = int32_t(rng.below(uint32_t(n)));
  return v;
}

}  // namespace hep2::test
