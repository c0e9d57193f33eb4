// The CPU backend's sgemm wrapper and hep2's own fallback kernel against a naive double GEMM: all
// four transpose combinations, alpha and beta, leading dimensions wider than the matrices, sizes
// that straddle every blocking edge of the fallback, and BLAS's beta = 0 / k = 0 semantics.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cpu/gemm.h"
#include "support/naive_ops.h"
#include "support/random.h"

namespace hep2 {
namespace {

using cpu::Op;
using GemmFn = void (*)(Op, Op, int, int, int, float, const float*, int, const float*, int, float,
                        float*, int);

struct GemmCase {
  int m, n, k;
  float alpha, beta;
  int pad;  // extra columns in every leading dimension
};

std::string describe(bool ta, bool tb, const GemmCase& c) {
  return std::string(ta ? "T" : "N") + (tb ? "T" : "N") + " m" + std::to_string(c.m) + " n" +
         std::to_string(c.n) + " k" + std::to_string(c.k) + " alpha " + std::to_string(c.alpha) +
         " beta " + std::to_string(c.beta) + " pad " + std::to_string(c.pad);
}

// Runs one case and compares with the naive GEMM. Each element may differ by 1e-4 of its own
// magnitude |alpha| sum_p |a_ip b_pj| + |beta c_ij|: float32 accumulation over k <= 600 terms
// stays below ~1e-5 of that (sqrt(k) * 2^-24 typical), while one wrong or missing term moves an
// element by about 1/k of it (>= 1.6e-3 here). The ld padding of C must be left untouched.
void check_case(GemmFn fn, bool ta, bool tb, const GemmCase& c, uint64_t seed) {
  SCOPED_TRACE(describe(ta, tb, c));
  const int a_rows = ta ? c.k : c.m, a_cols = ta ? c.m : c.k;
  const int b_rows = tb ? c.n : c.k, b_cols = tb ? c.k : c.n;
  const int lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.n + c.pad;
  Rng rng(seed);
  std::vector<float> a = test::random_floats(rng, size_t(a_rows) * lda);
  std::vector<float> b = test::random_floats(rng, size_t(b_rows) * ldb);
  std::vector<float> c0 = test::random_floats(rng, size_t(c.m) * ldc);
  std::vector<float> got = c0;
  fn(ta ? Op::T : Op::N, tb ? Op::T : Op::N, c.m, c.n, c.k, c.alpha, a.data(), lda, b.data(), ldb,
     c.beta, got.data(), ldc);
  naive::Vec ref = naive::gemm(ta, tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, c0, ldc);
  int bad = 0;
  for (int i = 0; i < c.m; ++i)
    for (int j = 0; j < ldc; ++j) {
      const size_t at = size_t(i) * ldc + j;
      if (j >= c.n) {
        if (got[at] != c0[at] && bad++ < 5)
          ADD_FAILURE() << "padding of C changed at " << i << "," << j;
        continue;
      }
      double mag = std::fabs(c.beta * c0[at]);
      for (int p = 0; p < c.k; ++p) {
        double av = ta ? a[size_t(p) * lda + i] : a[size_t(i) * lda + p];
        double bv = tb ? b[size_t(j) * ldb + p] : b[size_t(p) * ldb + j];
        mag += std::fabs(c.alpha * av * bv);
      }
      if (std::fabs(got[at] - ref[at]) > 1e-4 * mag + 1e-30 && bad++ < 5)
        ADD_FAILURE() << "C[" << i << "," << j << "] = " << got[at] << ", expected " << ref[at];
    }
  EXPECT_EQ(bad, 0);
}

const std::vector<GemmCase>& cases() {
  static const std::vector<GemmCase> all = {
      {1, 1, 1, 1.f, 0.f, 0},
      {7, 5, 3, 1.f, 1.f, 2},
      {6, 16, 8, -0.7f, 0.5f, 0},
      {13, 33, 17, 2.f, -1.25f, 3},
      {1, 70, 9, 1.f, 0.f, 1},
      {64, 1, 40, 1.f, 1.f, 0},
      // Past the fallback's blocks: rows > 96 and not a multiple of 6, columns > 512 and not a
      // multiple of 16, depth > 256.
      {200, 530, 300, 0.8f, 0.3f, 5},
      {97, 17, 513, 1.f, 0.f, 0},
  };
  return all;
}

void check_all(GemmFn fn) {
  uint64_t seed = 11;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const GemmCase& c : cases()) check_case(fn, ta, tb, c, seed++);
}

TEST(CpuGemm, WrapperMatchesNaiveForAllTransposes) {
  RecordProperty("backend", cpu::sgemm_uses_openblas() ? "openblas" : "fallback");
  check_all(&cpu::sgemm);
}

TEST(CpuGemm, FallbackMatchesNaiveForAllTransposes) { check_all(&cpu::sgemm_fallback); }

// beta = 0 must overwrite C without reading it, so garbage (NaN) in C does not leak into results.
void check_beta_zero_ignores_nan(GemmFn fn) {
  const int m = 9, n = 21, k = 5;
  std::vector<float> a = test::random_floats(3, size_t(m) * k),
                     b = test::random_floats(4, size_t(k) * n);
  std::vector<float> c(size_t(m) * n, std::numeric_limits<float>::quiet_NaN());
  fn(Op::N, Op::N, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c.data(), n);
  naive::Vec ref = naive::gemm(false, false, m, n, k, 1.0, a, k, b, n, 0.0,
                               std::vector<float>(size_t(m) * n, 0.f), n);
  for (size_t i = 0; i < c.size(); ++i) {
    ASSERT_TRUE(std::isfinite(c[i])) << "element " << i;
    EXPECT_NEAR(c[i], ref[i], 1e-5);
  }
}

TEST(CpuGemm, BetaZeroOverwritesNaN) {
  check_beta_zero_ignores_nan(&cpu::sgemm);
  check_beta_zero_ignores_nan(&cpu::sgemm_fallback);
}

// k = 0: the product is empty and C becomes beta C.
TEST(CpuGemm, EmptyDepthScalesC) {
  for (GemmFn fn : {&cpu::sgemm, &cpu::sgemm_fallback}) {
    std::vector<float> c = {1.f, -2.f, 3.f, 4.f, 5.f, -6.f};
    fn(Op::N, Op::N, 2, 3, 0, 1.f, nullptr, 1, nullptr, 3, 0.5f, c.data(), 3);
    EXPECT_EQ(c, (std::vector<float>{0.5f, -1.f, 1.5f, 2.f, 2.5f, -3.f}));
  }
}

}  // namespace
}  // namespace hep2
