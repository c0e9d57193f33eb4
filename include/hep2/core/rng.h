// Random numbers that are the same on every machine and every backend.
//  - hash_u32 / hash_uniform: counter-based (stateless) draws for per-element randomness
//    (dropout masks, batch augmentation); usable in CUDA kernels and CPU loops alike, so both
//    backends draw the same numbers for the same (seed, counter).
//  - Rng: a small sequential generator (PCG32) for initialisation, shuffles and synthesis. We do
//    not use <random> distributions: their output differs between standard libraries.
#pragma once
#include <cmath>
#include <cstdint>

#include "hep2/core/hd.h"

namespace hep2 {

// A 64->32 bit mixing of (seed, counter) with good avalanche (SplitMix64 finaliser).
HEP2_HD uint32_t hash_u32(uint64_t seed, uint64_t counter) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + counter + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z = z ^ (z >> 31);
  return uint32_t(z >> 32);
}
namespace detail {
// The inverse of hash_u32's seed multiplier modulo 2^64 (Newton's iteration: each round doubles
// the correct low bits; an odd a is its own inverse to 3 bits).
constexpr uint64_t inverse_mod_2_64(uint64_t a) {
  uint64_t x = a;
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}
static_assert(0x9E3779B97F4A7C15ull * inverse_mod_2_64(0x9E3779B97F4A7C15ull) == 1);
}  // namespace detail

// The seed whose draws continue `seed`'s from counter `offset` on:
//   hash_u32(seed_at(seed, offset), i) == hash_u32(seed, offset + i) for every i.
// (The counter enters hash_u32 only as seed * K + counter, K odd, so shifting the seed by
// offset / K modulo 2^64 shifts the counter by offset.) A part of a batch that starts at element
// `offset` of the whole batch draws, with it, what the whole batch draws there: data-parallel
// replicas draw dropout masks and denoising noise as one process does, with no change to the
// kernels that draw them. seed_at(seed, 0) == seed.
constexpr uint64_t seed_at(uint64_t seed, uint64_t offset) {
  return seed + offset * detail::inverse_mod_2_64(0x9E3779B97F4A7C15ull);
}

// Uniform in [0, 1) with 24 random bits (exactly representable in float).
HEP2_HD float hash_uniform(uint64_t seed, uint64_t counter) {
  return float(hash_u32(seed, counter) >> 8) * (1.0f / 16777216.0f);
}

class Rng {
 public:
  explicit Rng(uint64_t seed = 0x853c49e6748fea9bull, uint64_t stream = 0xda3e39cb94b95bdbull) {
    seed_with(seed, stream);
  }
  void seed_with(uint64_t seed, uint64_t stream = 0xda3e39cb94b95bdbull) {
    state_ = 0;
    inc_ = (stream << 1u) | 1u;
    next_u32();
    state_ += seed;
    next_u32();
  }
  uint32_t next_u32() {
    uint64_t old = state_;
    state_ = old * 6364136223846793005ull + inc_;
    uint32_t xorshifted = uint32_t(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = uint32_t(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
  }
  // Uniform in [0, 1).
  double uniform() { return (next_u32() >> 5) * (1.0 / 134217728.0) ; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Integer in [0, n) without modulo bias.
  uint32_t below(uint32_t n) {
    uint32_t threshold = (0u - n) % n;
    for (;;) {
      uint32_t r = next_u32();
      if (r >= threshold) return r % n;
    }
  }
  // Standard normal by Box-Muller (one value per call; the pair's second half is discarded for
  // simplicity and reproducibility of the sequence).
  double normal() {
    double u1 = uniform();
    double u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // The full state, for checkpoints.
  uint64_t state() const { return state_; }
  uint64_t inc() const { return inc_; }
  void restore(uint64_t state, uint64_t inc) {
    state_ = state;
    inc_ = inc;
  }

 private:
  uint64_t state_ = 0, inc_ = 1;
};

}  // namespace hep2
