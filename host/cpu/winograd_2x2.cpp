// The transforms of Winograd's F(2x2, 2x2) (see winograd_2x2.h); groups of 8 tiles go through
// them in vector registers as in winograd.cpp, other tiles one at a time with the same adds.
#include "cpu/winograd_2x2.h"

#include <algorithm>

#include "cpu/tile_kernels.h"

namespace hep2::cpu {
namespace {

// The transforms on values of type T: float, or __m256 (eight tiles side by side) through O.
template <class T>
struct Ops {
  static T add(T a, T b) { return a + b; }
  static T sub(T a, T b) { return a - b; }
};
#ifdef HEP2_CPU_AVX2
struct Vec {
  static __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
  static __m256 sub(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
};
#endif

// V = B^T d B, B^T = [1 -1 0; 0 1 0; 0 -1 1].
template <class T, class O = Ops<T>>
inline void input_3x3(const T d[3][3], T v[9]) {
  T t[3][3];
  for (int j = 0; j < 3; ++j) {
    t[0][j] = O::sub(d[0][j], d[1][j]);
    t[1][j] = d[1][j];
    t[2][j] = O::sub(d[2][j], d[1][j]);
  }
  for (int i = 0; i < 3; ++i) {
    v[3 * i + 0] = O::sub(t[i][0], t[i][1]);
    v[3 * i + 1] = t[i][1];
    v[3 * i + 2] = O::sub(t[i][2], t[i][1]);
  }
}

// Y = A^T M A, A^T = [1 1 0; 0 1 1].
template <class T, class O = Ops<T>>
inline void output_3x3(const T m[9], T y[2][2]) {
  T r[2][3];
  for (int j = 0; j < 3; ++j) {
    r[0][j] = O::add(m[j], m[3 + j]);
    r[1][j] = O::add(m[3 + j], m[6 + j]);
  }
  for (int i = 0; i < 2; ++i) {
    y[i][0] = O::add(r[i][0], r[i][1]);
    y[i][1] = O::add(r[i][1], r[i][2]);
  }
}

// Z = A X A^T, A = [1 0; 1 1; 0 1].
template <class T, class O = Ops<T>>
inline void grad_2x2(const T x[2][2], T z[9]) {
  T s[3][2];
  for (int j = 0; j < 2; ++j) {
    s[0][j] = x[0][j];
    s[1][j] = O::add(x[0][j], x[1][j]);
    s[2][j] = x[1][j];
  }
  for (int i = 0; i < 3; ++i) {
    z[3 * i + 0] = s[i][0];
    z[3 * i + 1] = O::add(s[i][0], s[i][1]);
    z[3 * i + 2] = s[i][1];
  }
}

inline float bias_act(float v, float b, Act act) {
  const float t = v + b;
  return act == Act::Relu ? math::relu(t) : t;
}

inline size_t slot(int t, int p) { return size_t(t / 8) * kGroup2x2 + p * 8 + t % 8; }

void clear_tail(const TileBlock& b, float* row) {
  for (int t = b.count(); t < b.groups() * 8; ++t)
    for (int p = 0; p < kPositions2x2; ++p) row[slot(t, p)] = 0.f;
}

}  // namespace

// ---- kernels ------------------------------------------------------------------------------------
void winograd2_kernel(const float* g, float* u) {
  const float t[3][2] = {{g[0], g[1]}, {g[0] + g[2], g[1] + g[3]}, {g[2], g[3]}};  // G g
  for (int i = 0; i < 3; ++i) {  // (G g) G^T
    u[3 * i + 0] = t[i][0];
    u[3 * i + 1] = t[i][0] + t[i][1];
    u[3 * i + 2] = t[i][1];
  }
}

void winograd2_kernel_grad(const double* du, float* dg) {
  double q[2][3];  // G^T dU, G^T = [1 1 0; 0 1 1]
  for (int j = 0; j < 3; ++j) {
    q[0][j] = du[j] + du[3 + j];
    q[1][j] = du[3 + j] + du[6 + j];
  }
  for (int i = 0; i < 2; ++i) {  // (G^T dU) G
    dg[2 * i + 0] = float(q[i][0] + q[i][1]);
    dg[2 * i + 1] = float(q[i][1] + q[i][2]);
  }
}

// ---- input --------------------------------------------------------------------------------------
void winograd2_input(const float* src, int channels, size_t plane, ptrdiff_t row, int oy, int ox,
                     const TileBlock& b, float* v, size_t ch_stride) {
  for (int c = 0; c < channels; ++c) {
    const float* sc = src + c * plane + oy * row + ox;
    float* vc = v + c * ch_stride;
    for (int t0 = 0; t0 < b.count(); t0 += 8) {
#ifdef HEP2_CPU_AVX2
      Halves h;
      if (vector_group(b, t0, h)) {
        const float* p = sc + 2 * h.ty[0] * row + 2 * h.tx[0];
        const float* q = sc + 2 * h.ty[1] * row + 2 * h.tx[1];
        __m256 d[3][3], out[9], unused;
        for (int r = 0; r < 3; ++r) {
          deinterleave(p + r * row, q + r * row, d[r][0], d[r][1]);
          deinterleave(p + r * row + 2, q + r * row + 2, d[r][2], unused);
        }
        input_3x3<__m256, Vec>(d, out);
        float* dst = vc + size_t(t0 / 8) * kGroup2x2;
        for (int pos = 0; pos < kPositions2x2; ++pos) _mm256_storeu_ps(dst + pos * 8, out[pos]);
        continue;
      }
#endif
      for (int t = t0; t < std::min(t0 + 8, b.count()); ++t) {
        const float* top = sc + 2 * (b.ty0 + t / b.tiles_w) * row + 2 * (t % b.tiles_w);
        float d[3][3], out[9];
        for (int r = 0; r < 3; ++r)
          for (int j = 0; j < 3; ++j) d[r][j] = top[r * row + j];
        input_3x3<float>(d, out);
        for (int pos = 0; pos < kPositions2x2; ++pos) vc[slot(t, pos)] = out[pos];
      }
    }
    clear_tail(b, vc);
  }
}

// ---- output -------------------------------------------------------------------------------------
void winograd2_output(const float* m, int channels, size_t ch_stride, const TileBlock& b, float* y,
                      int w, size_t plane) {
  for (int o = 0; o < channels; ++o) {
    const float* mo = m + o * ch_stride;
    float* yo = y + o * plane;
    for (int t0 = 0; t0 < b.count(); t0 += 8) {
#ifdef HEP2_CPU_AVX2
      Halves h;
      if (vector_group(b, t0, h)) {
        const float* src = mo + size_t(t0 / 8) * kGroup2x2;
        __m256 in[9], out[2][2];
        for (int pos = 0; pos < kPositions2x2; ++pos) in[pos] = _mm256_loadu_ps(src + pos * 8);
        output_3x3<__m256, Vec>(in, out);
        float* p = yo + size_t(2 * h.ty[0]) * w + 2 * h.tx[0];
        float* q = yo + size_t(2 * h.ty[1]) * w + 2 * h.tx[1];
        interleave_store(out[0][0], out[0][1], p, q);
        interleave_store(out[1][0], out[1][1], p + w, q + w);
        continue;
      }
#endif
      for (int t = t0; t < std::min(t0 + 8, b.count()); ++t) {
        float in[9], out[2][2];
        for (int pos = 0; pos < kPositions2x2; ++pos) in[pos] = mo[slot(t, pos)];
        output_3x3<float>(in, out);
        float* y0 = yo + size_t(2 * (b.ty0 + t / b.tiles_w)) * w + 2 * (t % b.tiles_w);
        y0[0] = out[0][0];
        y0[1] = out[0][1];
        y0[w] = out[1][0];
        y0[w + 1] = out[1][1];
      }
    }
  }
}

void winograd2_output_phases(const float* m, size_t phase_stride, int channels, size_t ch_stride,
                             const TileBlock& b, const float* bias, Act act, float* y, int w_out,
                             size_t plane) {
  for (int o = 0; o < channels; ++o) {
    float* yo = y + o * plane;
    const float bo = bias ? bias[o] : 0.f;
    for (int t0 = 0; t0 < b.count(); t0 += 8) {
#ifdef HEP2_CPU_AVX2
      Halves h;
      if (vector_group(b, t0, h)) {
        const __m256 bv = _mm256_set1_ps(bo), zero = _mm256_setzero_ps();
        __m256 out[4][2][2];  // [phase 2 a + b][r][c]
        for (int ph = 0; ph < 4; ++ph) {
          const float* src = m + ph * phase_stride + o * ch_stride + size_t(t0 / 8) * kGroup2x2;
          __m256 in[9];
          for (int pos = 0; pos < kPositions2x2; ++pos) in[pos] = _mm256_loadu_ps(src + pos * 8);
          output_3x3<__m256, Vec>(in, out[ph]);
          for (int r = 0; r < 2; ++r)
            for (int c = 0; c < 2; ++c) {
              out[ph][r][c] = _mm256_add_ps(out[ph][r][c], bv);
              if (act == Act::Relu) out[ph][r][c] = _mm256_max_ps(out[ph][r][c], zero);
            }
        }
        // Output row 4 ty + 2 r + a holds, per tile, columns (c, b) = (0,0) (0,1) (1,0) (1,1).
        for (int r = 0; r < 2; ++r)
          for (int a = 0; a < 2; ++a) {
            float* p = yo + size_t(4 * h.ty[0] + 2 * r + a) * w_out + 4 * h.tx[0];
            float* q = yo + size_t(4 * h.ty[1] + 2 * r + a) * w_out + 4 * h.tx[1];
            interleave4_store(out[2 * a][r][0], out[2 * a + 1][r][0], out[2 * a][r][1],
                              out[2 * a + 1][r][1], p, q);
          }
        continue;
      }
#endif
      for (int t = t0; t < std::min(t0 + 8, b.count()); ++t) {
        const int ty = b.ty0 + t / b.tiles_w, tx = t % b.tiles_w;
        for (int ph = 0; ph < 4; ++ph) {
          const float* mo = m + ph * phase_stride + o * ch_stride;
          float in[9], out[2][2];
          for (int pos = 0; pos < kPositions2x2; ++pos) in[pos] = mo[slot(t, pos)];
          output_3x3<float>(in, out);
          const int a = ph / 2, bb = ph % 2;
          for (int r = 0; r < 2; ++r)
            for (int c = 0; c < 2; ++c)
              yo[size_t(2 * (2 * ty + r) + a) * w_out + 2 * (2 * tx + c) + bb] =
                  bias_act(out[r][c], bo, act);
        }
      }
    }
  }
}

// ---- output gradient ----------------------------------------------------------------------------
void winograd2_grad(const float* x, int channels, int w, size_t plane, const TileBlock& b, float* z,
                    size_t ch_stride) {
  for (int c = 0; c < channels; ++c) {
    const float* xc = x + c * plane;
    float* zc = z + c * ch_stride;
    for (int t0 = 0; t0 < b.count(); t0 += 8) {
#ifdef HEP2_CPU_AVX2
      Halves h;
      if (vector_group(b, t0, h)) {
        const float* p = xc + size_t(2 * h.ty[0]) * w + 2 * h.tx[0];
        const float* q = xc + size_t(2 * h.ty[1]) * w + 2 * h.tx[1];
        __m256 d[2][2], out[9];
        deinterleave(p, q, d[0][0], d[0][1]);
        deinterleave(p + w, q + w, d[1][0], d[1][1]);
        grad_2x2<__m256, Vec>(d, out);
        float* dst = zc + size_t(t0 / 8) * kGroup2x2;
        for (int pos = 0; pos < kPositions2x2; ++pos) _mm256_storeu_ps(dst + pos * 8, out[pos]);
        continue;
      }
#endif
      for (int t = t0; t < std::min(t0 + 8, b.count()); ++t) {
        const float* r0 = xc + size_t(2 * (b.ty0 + t / b.tiles_w)) * w + 2 * (t % b.tiles_w);
        const float d[2][2] = {{r0[0], r0[1]}, {r0[w], r0[w + 1]}};
        float out[9];
        grad_2x2<float>(d, out);
        for (int pos = 0; pos < kPositions2x2; ++pos) zc[slot(t, pos)] = out[pos];
      }
    }
    clear_tail(b, zc);
  }
}

}  // namespace hep2::cpu
