// The register tiles under the CPU convolutions (see shifted_gemm.h). Each keeps an MR x (NV x 8)
// block of results in vector registers while it walks the reduction, so the inner loop is only
// loads, broadcasts and fused multiply-adds:
//   shifted_tile  out[r][v, lane] = sum_k a[k][r] * base[v][off[k] + lane]
//                 (a convolution: r = output channel, lanes = 8 neighbouring pixels, k = tap)
//   gather_tile   out[r][lane]   += sum_p row[r][pixel p] * dt[p][lane]        (16 lanes)
//                 (a weight gradient: r = tap, lanes = 16 channels, p = pixels of the image)
//   dot_tile      out[r]         += sum_p row[r][pixel p] * d[pixel p]
//                 (a weight gradient with too few channels to fill the lanes)
// With AVX2 + FMA (the build's floor on x86-64) they use intrinsics, since the compiler does not
// keep such blocks in registers reliably; elsewhere plain loops give the same results within
// rounding. Every sum runs in a fixed order, so a given build always gives the same bits.
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define HEP2_CPU_AVX2 1
#endif

namespace hep2::cpu {

inline constexpr int kLanes = 8;   // floats per vector register (AVX2)
inline constexpr int kWide = 16;   // lanes of a gather_tile: two vectors

// ---- shifted_tile ------------------------------------------------------------------------------
// a: k_count x MR (the MR values of step k side by side); off: k_count offsets; base: NV pointers,
// each to the first of 8 neighbouring pixels; out: MR x NV x 8, overwritten. Lanes that lie past
// the end of an image row read whatever follows it (callers leave slack after their buffers) and
// their results are discarded by the caller.
template <int MR, int NV>
inline void shifted_tile(int k_count, const float* __restrict a, const int32_t* __restrict off,
                         const float* const* base, float* __restrict out) {
#ifdef HEP2_CPU_AVX2
  __m256 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  const float* b[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) b[v] = base[v];
  for (int k = 0; k < k_count; ++k, a += MR) {
    const int32_t o = off[k];
    __m256 bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_ps(b[v] + o);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(out + (r * NV + v) * kLanes, acc[r][v]);
#else
  float acc[MR][NV * kLanes] = {};
  for (int k = 0; k < k_count; ++k, a += MR) {
    const int32_t o = off[k];
    for (int r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v)
        for (int l = 0; l < kLanes; ++l) acc[r][v * kLanes + l] += a[r] * base[v][o + l];
  }
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NV * kLanes; ++j) out[r * NV * kLanes + j] = acc[r][j];
#endif
}

// ---- gather_tile -------------------------------------------------------------------------------
// For image rows y in [0, rows): pixels x in [0, width) read row[r][y * row_stride + x] (one scalar
// each, broadcast) and dt[(y * width + x) * kWide + lane]. out (MR x 16, row stride ld) is
// accumulated into unless `overwrite`.
template <int MR>
inline void gather_tile(const float* const* row, int rows, int width, ptrdiff_t row_stride,
                        const float* __restrict dt, float* __restrict out, ptrdiff_t ld,
                        bool overwrite) {
#ifdef HEP2_CPU_AVX2
  __m256 acc[MR][2];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    acc[r][0] = overwrite ? _mm256_setzero_ps() : _mm256_loadu_ps(out + r * ld);
    acc[r][1] = overwrite ? _mm256_setzero_ps() : _mm256_loadu_ps(out + r * ld + kLanes);
  }
  for (int y = 0; y < rows; ++y) {
    const float* p[MR];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) p[r] = row[r] + y * row_stride;
    for (int x = 0; x < width; ++x, dt += kWide) {
      const __m256 b0 = _mm256_loadu_ps(dt), b1 = _mm256_loadu_ps(dt + kLanes);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r) {
        const __m256 av = _mm256_broadcast_ss(p[r] + x);
        acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    _mm256_storeu_ps(out + r * ld, acc[r][0]);
    _mm256_storeu_ps(out + r * ld + kLanes, acc[r][1]);
  }
#else
  float acc[MR][kWide];
  for (int r = 0; r < MR; ++r)
    for (int l = 0; l < kWide; ++l) acc[r][l] = overwrite ? 0.f : out[r * ld + l];
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < width; ++x, dt += kWide)
      for (int r = 0; r < MR; ++r) {
        const float av = row[r][y * row_stride + x];
        for (int l = 0; l < kWide; ++l) acc[r][l] += av * dt[l];
      }
  for (int r = 0; r < MR; ++r)
    for (int l = 0; l < kWide; ++l) out[r * ld + l] = acc[r][l];
#endif
}

// ---- dot_tile ----------------------------------------------------------------------------------
// out[r] += sum over y < rows, x < width of row[r][y * row_stride + x] * d[y * d_stride + x].
// Lanes past the row end are masked to zero on both sides, so nothing beyond a row is summed.
template <int MR>
inline void dot_tile(const float* const* row, int rows, int width, ptrdiff_t row_stride,
                     const float* __restrict d, ptrdiff_t d_stride, double* __restrict out) {
#ifdef HEP2_CPU_AVX2
  __m256 acc[MR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) acc[r] = _mm256_setzero_ps();
  const int full = width / kLanes * kLanes;
  alignas(32) int32_t lanes[kLanes];
  for (int l = 0; l < kLanes; ++l) lanes[l] = l < width - full ? -1 : 0;
  const __m256i tail = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
  for (int y = 0; y < rows; ++y) {
    const float* dp = d + y * d_stride;
    const ptrdiff_t at = y * row_stride;
    int x = 0;
    for (; x < full; x += kLanes) {
      const __m256 dv = _mm256_loadu_ps(dp + x);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r)
        acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(row[r] + at + x), dv, acc[r]);
    }
    if (x < width) {
      const __m256 dv = _mm256_maskload_ps(dp + x, tail);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r)
        acc[r] = _mm256_fmadd_ps(_mm256_maskload_ps(row[r] + at + x, tail), dv, acc[r]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    alignas(32) float v[kLanes];
    _mm256_store_ps(v, acc[r]);
    out[r] += double((v[0] + v[1]) + (v[2] + v[3])) + double((v[4] + v[5]) + (v[6] + v[7]));
  }
#else
  for (int r = 0; r < MR; ++r) {
    float lane[kLanes] = {};
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < width; ++x)
        lane[x % kLanes] += row[r][y * row_stride + x] * d[y * d_stride + x];
    out[r] += double((lane[0] + lane[1]) + (lane[2] + lane[3])) +
              double((lane[4] + lane[5]) + (lane[6] + lane[7]));
  }
#endif
}

}  // namespace hep2::cpu
