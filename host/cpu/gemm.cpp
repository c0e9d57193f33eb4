// sgemm: OpenBLAS when available, and hep2's own cache-blocked kernel (Goto's scheme: pack a
// KC x NC block of B and an MC x KC block of A into contiguous panels, then a 6 x 16 register tile
// walks them). The tile's inner loop is written for the compiler to vectorise (AVX2/FMA).
#include "cpu/gemm.h"

#include <cstdlib>
#include <cstring>

#ifdef HEP2_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace hep2::cpu {
namespace {

constexpr int kMR = 6;    // rows of the register tile
constexpr int kNR = 16;   // columns of the register tile (two AVX2 vectors)
constexpr int kKC = 256;  // depth of a packed block: an A panel + a B panel stay in L1
constexpr int kMC = 96;   // rows of the packed A block (multiple of kMR), kept in L2
constexpr int kNC = 512;  // columns of the packed B block (multiple of kNR)

// Packing space per thread, allocated on the first call and kept. Null when the allocation
// failed: the caller then takes the unpacked path, so sgemm never throws from inside a worker.
struct PackSpace {
  float* a = nullptr;
  float* b = nullptr;
  PackSpace() {
    a = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * kMC * kKC));
    b = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * kKC * kNC));
  }
  ~PackSpace() {
    std::free(a);
    std::free(b);
  }
  PackSpace(const PackSpace&) = delete;
  PackSpace& operator=(const PackSpace&) = delete;
};

PackSpace& pack_space() {
  thread_local PackSpace space;
  return space;
}

// Element (i, p) of op(A) and (p, j) of op(B).
inline float at_a(const float* a, int lda, Op t, int i, int p) {
  return t == Op::N ? a[size_t(i) * lda + p] : a[size_t(p) * lda + i];
}
inline float at_b(const float* b, int ldb, Op t, int p, int j) {
  return t == Op::N ? b[size_t(p) * ldb + j] : b[size_t(j) * ldb + p];
}

void scale_c(int m, int n, float beta, float* c, int ldc) {
  if (beta == 1.f) return;
  for (int i = 0; i < m; ++i) {
    float* row = c + size_t(i) * ldc;
    if (beta == 0.f)
      std::memset(row, 0, sizeof(float) * size_t(n));
    else
      for (int j = 0; j < n; ++j) row[j] *= beta;
  }
}

// op(A)[i0 : i0+mc, p0 : p0+kc] times alpha, as kMR-row panels: panel r holds, for each p, its
// kMR row values side by side. Rows past mc are zero so the tile never needs an edge case inside.
void pack_a(const float* a, int lda, Op t, int i0, int mc, int p0, int kc, float alpha,
            float* out) {
  for (int r = 0; r < mc; r += kMR) {
    int rows = mc - r < kMR ? mc - r : kMR;
    for (int p = 0; p < kc; ++p) {
      float* dst = out + size_t(r) * kc + size_t(p) * kMR;
      for (int i = 0; i < rows; ++i) dst[i] = alpha * at_a(a, lda, t, i0 + r + i, p0 + p);
      for (int i = rows; i < kMR; ++i) dst[i] = 0.f;
    }
  }
}

// op(B)[p0 : p0+kc, j0 : j0+nc] as kNR-column panels: panel s holds, for each p, its kNR values.
void pack_b(const float* b, int ldb, Op t, int p0, int kc, int j0, int nc, float* out) {
  for (int s = 0; s < nc; s += kNR) {
    int cols = nc - s < kNR ? nc - s : kNR;
    for (int p = 0; p < kc; ++p) {
      float* dst = out + size_t(s) * kc + size_t(p) * kNR;
      if (t == Op::N && cols == kNR) {
        std::memcpy(dst, b + size_t(p0 + p) * ldb + j0 + s, sizeof(float) * kNR);
        continue;
      }
      for (int j = 0; j < cols; ++j) dst[j] = at_b(b, ldb, t, p0 + p, j0 + s + j);
      for (int j = cols; j < kNR; ++j) dst[j] = 0.f;
    }
  }
}

// C[0:mr, 0:nr] += (packed A panel) x (packed B panel) over kc.
inline void tile(int kc, const float* __restrict ap, const float* __restrict bp,
                 float* __restrict c, int ldc, int mr, int nr) {
  float acc[kMR][kNR] = {};
  for (int p = 0; p < kc; ++p) {
    const float* brow = bp + size_t(p) * kNR;
    const float* acol = ap + size_t(p) * kMR;
#pragma GCC unroll 6
    for (int i = 0; i < kMR; ++i) {
      float ai = acol[i];
#pragma omp simd
      for (int j = 0; j < kNR; ++j) acc[i][j] += ai * brow[j];
    }
  }
  for (int i = 0; i < mr; ++i) {
    float* crow = c + size_t(i) * ldc;
    if (nr == kNR) {
#pragma omp simd
      for (int j = 0; j < kNR; ++j) crow[j] += acc[i][j];
    } else {
      for (int j = 0; j < nr; ++j) crow[j] += acc[i][j];
    }
  }
}

// The plain triple loop, used only when the packing space could not be allocated.
void unpacked(Op ta, Op tb, int m, int n, int k, float alpha, const float* a, int lda,
              const float* b, int ldb, float* c, int ldc) {
  for (int i = 0; i < m; ++i)
    for (int p = 0; p < k; ++p) {
      float ai = alpha * at_a(a, lda, ta, i, p);
      float* crow = c + size_t(i) * ldc;
      for (int j = 0; j < n; ++j) crow[j] += ai * at_b(b, ldb, tb, p, j);
    }
}

}  // namespace

void sgemm_fallback(Op ta, Op tb, int m, int n, int k, float alpha, const float* a, int lda,
                    const float* b, int ldb, float beta, float* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  scale_c(m, n, beta, c, ldc);
  if (k <= 0 || alpha == 0.f) return;
  PackSpace& space = pack_space();
  if (!space.a || !space.b) {
    unpacked(ta, tb, m, n, k, alpha, a, lda, b, ldb, c, ldc);
    return;
  }
  for (int j0 = 0; j0 < n; j0 += kNC) {
    int nc = n - j0 < kNC ? n - j0 : kNC;
    for (int p0 = 0; p0 < k; p0 += kKC) {
      int kc = k - p0 < kKC ? k - p0 : kKC;
      pack_b(b, ldb, tb, p0, kc, j0, nc, space.b);
      for (int i0 = 0; i0 < m; i0 += kMC) {
        int mc = m - i0 < kMC ? m - i0 : kMC;
        pack_a(a, lda, ta, i0, mc, p0, kc, alpha, space.a);
        for (int s = 0; s < nc; s += kNR)
          for (int r = 0; r < mc; r += kMR)
            tile(kc, space.a + size_t(r) * kc, space.b + size_t(s) * kc,
                 c + size_t(i0 + r) * ldc + j0 + s, ldc, mc - r < kMR ? mc - r : kMR,
                 nc - s < kNR ? nc - s : kNR);
      }
    }
  }
}

void sgemm(Op ta, Op tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
           int ldb, float beta, float* c, int ldc) {
#ifdef HEP2_HAVE_OPENBLAS
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {  // BLAS argument checks reject lda < 1 here; the product is empty anyway
    scale_c(m, n, beta, c, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, ta == Op::T ? CblasTrans : CblasNoTrans,
              tb == Op::T ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
#else
  sgemm_fallback(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

bool sgemm_uses_openblas() {
#ifdef HEP2_HAVE_OPENBLAS
  return true;
#else
  return false;
#endif
}

void blas_use_one_thread() {
#ifdef HEP2_HAVE_OPENBLAS
  openblas_set_num_threads(1);
#endif
}

}  // namespace hep2::cpu
