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
// Where a shifted tile's results go: row r, run v lands at dst[v] + r * dst_ch, `count[v]` lanes
// (0..8), `dst_col` floats apart; each value is act(sum + bias[r]) (bias may be null).
template <int NV>
struct TileOut {
  float* dst[NV];
  int count[NV];
  ptrdiff_t dst_ch = 0, dst_col = 1;
  const float* bias = nullptr;
  bool relu = false;
};

// Stores `count` lanes of v (count 8 with dst_col 1 is the common, unmasked case).
inline void store_lanes(const float* v, int count, ptrdiff_t dst_col, float* dst) {
  for (int l = 0; l < count; ++l) dst[l * dst_col] = v[l];
}

// a: k_count x MR (the MR values of step k side by side); off: k_count offsets; base: NV pointers,
// each to the first of 8 neighbouring pixels. Lanes that lie past the end of an image row read
// whatever follows it (callers leave slack after their buffers); their results are not stored.
template <int MR, int NV>
inline void shifted_tile(int k_count, const float* __restrict a, const int32_t* __restrict off,
                         const float* const* base, const TileOut<NV>& out) {
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
    const ptrdiff_t o = off[k];
    if constexpr (MR == 1) {  // no reuse of a loaded run: fold each load into its FMA
      const __m256 av = _mm256_broadcast_ss(a);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v)
        acc[0][v] = _mm256_fmadd_ps(av, _mm256_loadu_ps(b[v] + o), acc[0][v]);
    } else {
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
  }
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    const __m256 bias = out.bias ? _mm256_broadcast_ss(out.bias + r) : zero;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      __m256 t = _mm256_add_ps(acc[r][v], bias);
      if (out.relu) t = _mm256_max_ps(t, zero);  // max(NaN, 0) = 0, as math::relu
      float* d = out.dst[v] + r * out.dst_ch;
      if (out.count[v] == kLanes && out.dst_col == 1) {
        _mm256_storeu_ps(d, t);
      } else {
        alignas(32) float lanes[kLanes];
        _mm256_store_ps(lanes, t);
        store_lanes(lanes, out.count[v], out.dst_col, d);
      }
    }
  }
#else
  float acc[MR][NV * kLanes] = {};
  for (int k = 0; k < k_count; ++k, a += MR) {
    const int32_t o = off[k];
    for (int r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v)
        for (int l = 0; l < kLanes; ++l) acc[r][v * kLanes + l] += a[r] * base[v][o + l];
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) {
      float lanes[kLanes];
      for (int l = 0; l < kLanes; ++l) {
        const float t = acc[r][v * kLanes + l] + (out.bias ? out.bias[r] : 0.f);
        lanes[l] = out.relu ? (t > 0.f ? t : 0.f) : t;
      }
      store_lanes(lanes, out.count[v], out.dst_col, out.dst[v] + r * out.dst_ch);
    }
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

// ---- lane shuffles -----------------------------------------------------------------------------
#ifdef HEP2_CPU_AVX2
// The even and the odd elements of the 16 floats p[0..7], q[0..7], each in order.
inline void deinterleave(const float* p, const float* q, __m256& even, __m256& odd) {
  const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(q);
  even = _mm256_castpd_ps(
      _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
  odd = _mm256_castpd_ps(
      _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}
// ... of 16 consecutive floats.
inline void deinterleave(const float* p, __m256& even, __m256& odd) {
  deinterleave(p, p + kLanes, even, odd);
}

// Stores a0 b0 a1 b1 ... a3 b3 at p and a4 b4 ... a7 b7 at q.
inline void interleave_store(__m256 a, __m256 b, float* p, float* q) {
  const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
  _mm256_storeu_ps(p, _mm256_permute2f128_ps(lo, hi, 0x20));
  _mm256_storeu_ps(q, _mm256_permute2f128_ps(lo, hi, 0x31));
}
// ... a0 b0 a1 b1 ... a7 b7 (16 floats) at p.
inline void interleave_store(__m256 a, __m256 b, float* p) {
  interleave_store(a, b, p, p + kLanes);
}

// Stores a0 b0 c0 d0 a1 b1 c1 d1 ... a3 b3 c3 d3 at p and a4 ... d7 at q (16 floats each).
inline void interleave4_store(__m256 a, __m256 b, __m256 c, __m256 d, float* p, float* q) {
  const __m256d ab_lo = _mm256_castps_pd(_mm256_unpacklo_ps(a, b));
  const __m256d ab_hi = _mm256_castps_pd(_mm256_unpackhi_ps(a, b));
  const __m256d cd_lo = _mm256_castps_pd(_mm256_unpacklo_ps(c, d));
  const __m256d cd_hi = _mm256_castps_pd(_mm256_unpackhi_ps(c, d));
  const __m256 x0 = _mm256_castpd_ps(_mm256_unpacklo_pd(ab_lo, cd_lo));  // 0 | 4
  const __m256 x1 = _mm256_castpd_ps(_mm256_unpackhi_pd(ab_lo, cd_lo));  // 1 | 5
  const __m256 x2 = _mm256_castpd_ps(_mm256_unpacklo_pd(ab_hi, cd_hi));  // 2 | 6
  const __m256 x3 = _mm256_castpd_ps(_mm256_unpackhi_pd(ab_hi, cd_hi));  // 3 | 7
  _mm256_storeu_ps(p, _mm256_permute2f128_ps(x0, x1, 0x20));
  _mm256_storeu_ps(p + kLanes, _mm256_permute2f128_ps(x2, x3, 0x20));
  _mm256_storeu_ps(q, _mm256_permute2f128_ps(x0, x1, 0x31));
  _mm256_storeu_ps(q + kLanes, _mm256_permute2f128_ps(x2, x3, 0x31));
}
#endif

// dst[p * 16 + l] = src[l * src_stride + p] for l < 8, p < 8: an 8 x 8 block transposed into the
// 16-float rows of a lane-blocked layout (pack_lanes).
inline void transpose8(const float* src, ptrdiff_t src_stride, float* dst) {
#ifdef HEP2_CPU_AVX2
  __m256 r[8];
  for (int l = 0; l < 8; ++l) r[l] = _mm256_loadu_ps(src + l * src_stride);
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(dst + 0 * kWide, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 1 * kWide, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * kWide, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * kWide, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * kWide, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * kWide, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * kWide, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * kWide, _mm256_permute2f128_ps(u3, u7, 0x31));
#else
  for (int p = 0; p < kLanes; ++p)
    for (int l = 0; l < kLanes; ++l) dst[p * kWide + l] = src[l * src_stride + p];
#endif
}

}  // namespace hep2::cpu
