// The tile loops that every Winograd transform of the CPU backend shares (F(2x2, 3x3) in
// winograd.cpp, F(2x2, 2x2) in winograd_2x2.cpp): a block's tiles go through a transform in
// groups of 8, in vector registers when the group is two runs of 4 along tile rows (see
// vector_group in winograd.h), one tile at a time otherwise, with the same adds in the same order.
// What differs between the two algorithms is a traits type F:
//     kPositions        positions of a transformed tile (16 or 9)
//     kPatch            side of a tile's input patch (4 or 3)
//     input<T, O>(d[kPatch][kPatch], v[kPositions])    V = B^T d B
//     output<T, O>(m[kPositions], y[2][2])             Y = A^T M A
//     grad<T, O>(x[2][2], zero, z[kPositions])         Z = A X A^T
// with T float (O = ScalarOps) or __m256 (O = VecOps). Layout of a transformed tensor: channel c,
// group g, position p, lane l at c ch_stride + g (8 kPositions) + p 8 + l.
#pragma once
#include <algorithm>
#include <cstddef>

#include "cpu/tile_kernels.h"
#include "cpu/winograd.h"
#include "hep2/core/math.cuh"

namespace hep2::cpu::winograd_tiles {

template <class T>
struct ScalarOps {
  static T add(T a, T b) { return a + b; }
  static T sub(T a, T b) { return a - b; }
};
#ifdef HEP2_CPU_AVX2
struct VecOps {
  static __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
  static __m256 sub(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
};
#endif

inline float bias_act(float v, float b, Act act) {
  const float t = v + b;
  return act == Act::Relu ? math::relu(t) : t;
}
#ifdef HEP2_CPU_AVX2
// The same on eight tiles' values; max(t, 0) is math::relu lane by lane.
inline __m256 bias_act(__m256 v, __m256 b, Act act) {
  const __m256 t = _mm256_add_ps(v, b);
  return act == Act::Relu ? _mm256_max_ps(t, _mm256_setzero_ps()) : t;
}
#endif

// Where tile t's position p lands within a channel's row of groups.
template <class F>
inline size_t slot(int t, int p) {
  return size_t(t / 8) * (8 * F::kPositions) + p * 8 + t % 8;
}

// Zeros the lanes past the block's last tile (they feed the weight gradient's sums).
template <class F>
void clear_tail(const TileBlock& b, float* row) {
  for (int t = b.count(); t < b.groups() * 8; ++t)
    for (int p = 0; p < F::kPositions; ++p) row[slot<F>(t, p)] = 0.f;
}

// src (channels planes, `row` floats per row): V = B^T d B of the patches whose top-left corners
// are at rows 2 ty, columns 2 tx.
template <class F>
void input(const float* src, int channels, size_t plane, ptrdiff_t row, const TileBlock& b,
           float* v, size_t ch_stride) {
  constexpr int K = F::kPatch, P = F::kPositions;
  for (int c = 0; c < channels; ++c) {
    const float* sc = src + c * plane;
    float* vc = v + c * ch_stride;
    for (int t0 = 0; t0 < b.count(); t0 += 8) {
#ifdef HEP2_CPU_AVX2
      Halves h;
      if (vector_group(b, t0, h)) {
        const float* p = sc + 2 * h.ty[0] * row + 2 * h.tx[0];
        const float* q = sc + 2 * h.ty[1] * row + 2 * h.tx[1];
        __m256 d[K][K], out[P];
        for (int r = 0; r < K; ++r) {
          __m256 cols[4];  // a 3-wide patch loads a fourth column and drops it
          deinterleave(p + r * row, q + r * row, cols[0], cols[1]);
          deinterleave(p + r * row + 2, q + r * row + 2, cols[2], cols[3]);
          for (int j = 0; j < K; ++j) d[r][j] = cols[j];
        }
        F::template input<__m256, VecOps>(d, out);
        float* dst = vc + size_t(t0 / 8) * (8 * P);
        for (int pos = 0; pos < P; ++pos) _mm256_storeu_ps(dst + pos * 8, out[pos]);
        continue;
      }
#endif
      for (int t = t0; t < std::min(t0 + 8, b.count()); ++t) {
        const float* top = sc + 2 * (b.ty0 + t / b.tiles_w) * row + 2 * (t % b.tiles_w);
        float d[K][K], out[P];
        for (int r = 0; r < K; ++r)
          for (int j = 0; j < K; ++j) d[r][j] = top[r * row + j];
        F::template input<float, ScalarOps<float>>(d, out);
        for (int pos = 0; pos < P; ++pos) vc[slot<F>(t, pos)] = out[pos];
      }
    }
    clear_tail<F>(b, vc);
  }
}

// M -> y (channels planes w wide) as 2x2 tiles: y = act(A^T M A + bias), or A^T M A as it is
// when there is neither a bias nor an activation.
template <class F>
void output(const float* m, int channels, size_t ch_stride, const TileBlock& b, const float* bias,
            Act act, float* y, int w, size_t plane) {
  constexpr int P = F::kPositions;
  const bool raw = !bias && act == Act::None;
  for (int o = 0; o < channels; ++o) {
    const float* mo = m + o * ch_stride;
    float* yo = y + o * plane;
    const float bo = bias ? bias[o] : 0.f;
    for (int t0 = 0; t0 < b.count(); t0 += 8) {
#ifdef HEP2_CPU_AVX2
      Halves h;
      if (vector_group(b, t0, h)) {
        const __m256 bv = _mm256_set1_ps(bo);
        const float* src = mo + size_t(t0 / 8) * (8 * P);
        __m256 in[P], out[2][2];
        for (int pos = 0; pos < P; ++pos) in[pos] = _mm256_loadu_ps(src + pos * 8);
        F::template output<__m256, VecOps>(in, out);
        if (!raw)
          for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j) out[i][j] = bias_act(out[i][j], bv, act);
        float* p = yo + size_t(2 * h.ty[0]) * w + 2 * h.tx[0];
        float* q = yo + size_t(2 * h.ty[1]) * w + 2 * h.tx[1];
        interleave_store(out[0][0], out[0][1], p, q);
        interleave_store(out[1][0], out[1][1], p + w, q + w);
        continue;
      }
#endif
      for (int t = t0; t < std::min(t0 + 8, b.count()); ++t) {
        float in[P], out[2][2];
        for (int pos = 0; pos < P; ++pos) in[pos] = mo[slot<F>(t, pos)];
        F::template output<float, ScalarOps<float>>(in, out);
        float* y0 = yo + size_t(2 * (b.ty0 + t / b.tiles_w)) * w + 2 * (t % b.tiles_w);
        float* dst[4] = {y0, y0 + 1, y0 + w, y0 + w + 1};
        for (int k = 0; k < 4; ++k) {
          const float v = out[k / 2][k % 2];
          *dst[k] = raw ? v : bias_act(v, bo, act);
        }
      }
    }
  }
}

// x (channels planes w wide) -> Z = A X A^T per 2x2 tile.
template <class F>
void grad(const float* x, int channels, int w, size_t plane, const TileBlock& b, float* z,
          size_t ch_stride) {
  constexpr int P = F::kPositions;
  for (int c = 0; c < channels; ++c) {
    const float* xc = x + c * plane;
    float* zc = z + c * ch_stride;
    for (int t0 = 0; t0 < b.count(); t0 += 8) {
#ifdef HEP2_CPU_AVX2
      Halves h;
      if (vector_group(b, t0, h)) {
        const float* p = xc + size_t(2 * h.ty[0]) * w + 2 * h.tx[0];
        const float* q = xc + size_t(2 * h.ty[1]) * w + 2 * h.tx[1];
        __m256 d[2][2], out[P];
        deinterleave(p, q, d[0][0], d[0][1]);
        deinterleave(p + w, q + w, d[1][0], d[1][1]);
        F::template grad<__m256, VecOps>(d, _mm256_setzero_ps(), out);
        float* dst = zc + size_t(t0 / 8) * (8 * P);
        for (int pos = 0; pos < P; ++pos) _mm256_storeu_ps(dst + pos * 8, out[pos]);
        continue;
      }
#endif
      for (int t = t0; t < std::min(t0 + 8, b.count()); ++t) {
        const float* r0 = xc + size_t(2 * (b.ty0 + t / b.tiles_w)) * w + 2 * (t % b.tiles_w);
        const float d[2][2] = {{r0[0], r0[1]}, {r0[w], r0[w + 1]}};
        float out[P];
        F::template grad<float, ScalarOps<float>>(d, 0.f, out);
        for (int pos = 0; pos < P; ++pos) zc[slot<F>(t, pos)] = out[pos];
      }
    }
    clear_tail<F>(b, zc);
  }
}

}  // namespace hep2::cpu::winograd_tiles
