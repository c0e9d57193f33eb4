// The transforms of Winograd's F(2x2, 3x3) (see winograd.h). The 8 tiles of a group go through
// each transform together, one tile per vector lane, when they are two runs of 4 along tile rows;
// other groups, or a build without AVX2, take the scalar loop, which does the same adds in the
// same order.
#include "cpu/winograd.h"

#include <algorithm>

#include "cpu/tile_kernels.h"

namespace hep2::cpu {
namespace {

// ---- the transforms on one tile, or eight side by side ----------------------------------------
// The transforms on values of type T (float, or __m256: eight tiles side by side).
template <class T>
struct Ops {
  static T add(T a, T b) { return a + b; }
  static T sub(T a, T b) { return a - b; }
};

// V = B^T d B for a 4x4 d given by rows.
template <class T, class O = Ops<T>>
inline void input_4x4(const T d[4][4], T v[16]) {
  T t[4][4];
  for (int j = 0; j < 4; ++j) {
    t[0][j] = O::sub(d[0][j], d[2][j]);
    t[1][j] = O::add(d[1][j], d[2][j]);
    t[2][j] = O::sub(d[2][j], d[1][j]);
    t[3][j] = O::sub(d[1][j], d[3][j]);
  }
  for (int i = 0; i < 4; ++i) {
    v[4 * i + 0] = O::sub(t[i][0], t[i][2]);
    v[4 * i + 1] = O::add(t[i][1], t[i][2]);
    v[4 * i + 2] = O::sub(t[i][2], t[i][1]);
    v[4 * i + 3] = O::sub(t[i][1], t[i][3]);
  }
}

// Y = A^T M A: y[i][j] for the 2x2 outputs.
template <class T, class O = Ops<T>>
inline void output_4x4(const T m[16], T y[2][2]) {
  T r[2][4];
  for (int j = 0; j < 4; ++j) {
    r[0][j] = O::add(O::add(m[j], m[4 + j]), m[8 + j]);
    r[1][j] = O::sub(O::sub(m[4 + j], m[8 + j]), m[12 + j]);
  }
  for (int i = 0; i < 2; ++i) {
    y[i][0] = O::add(O::add(r[i][0], r[i][1]), r[i][2]);
    y[i][1] = O::sub(O::sub(r[i][1], r[i][2]), r[i][3]);
  }
}

// Z = A dY A^T for a 2x2 dy, A = [1 0; 1 1; 1 -1; 0 -1]: column j of s = A dY, then rows.
template <class T, class O = Ops<T>>
inline void grad_2x2(const T dy[2][2], T zero, T z[16]) {
  T s[4][2];
  for (int j = 0; j < 2; ++j) {
    s[0][j] = dy[0][j];
    s[1][j] = O::add(dy[0][j], dy[1][j]);
    s[2][j] = O::sub(dy[0][j], dy[1][j]);
    s[3][j] = O::sub(zero, dy[1][j]);
  }
  for (int i = 0; i < 4; ++i) {
    z[4 * i + 0] = s[i][0];
    z[4 * i + 1] = O::add(s[i][0], s[i][1]);
    z[4 * i + 2] = O::sub(s[i][0], s[i][1]);
    z[4 * i + 3] = O::sub(zero, s[i][1]);
  }
}

inline float bias_act(float v, float b, Act act) {
  const float t = v + b;
  return act == Act::Relu ? math::relu(t) : t;
}

#ifdef HEP2_CPU_AVX2
struct Vec {
  static __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
  static __m256 sub(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
};
#endif

}  // namespace

// ---- kernels ------------------------------------------------------------------------------------
void winograd_kernel(const float* g, float* u) {
  float t[4][3];  // G g
  for (int j = 0; j < 3; ++j) {
    t[0][j] = g[j];
    t[1][j] = 0.5f * ((g[j] + g[3 + j]) + g[6 + j]);
    t[2][j] = 0.5f * ((g[j] - g[3 + j]) + g[6 + j]);
    t[3][j] = g[6 + j];
  }
  for (int i = 0; i < 4; ++i) {  // (G g) G^T
    u[4 * i + 0] = t[i][0];
    u[4 * i + 1] = 0.5f * ((t[i][0] + t[i][1]) + t[i][2]);
    u[4 * i + 2] = 0.5f * ((t[i][0] - t[i][1]) + t[i][2]);
    u[4 * i + 3] = t[i][2];
  }
}

void winograd_kernel_grad(const double* du, float* dg) {
  double q[3][4];  // G^T dU, G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 1]
  for (int j = 0; j < 4; ++j) {
    q[0][j] = du[j] + 0.5 * (du[4 + j] + du[8 + j]);
    q[1][j] = 0.5 * (du[4 + j] - du[8 + j]);
    q[2][j] = 0.5 * (du[4 + j] + du[8 + j]) + du[12 + j];
  }
  for (int i = 0; i < 3; ++i) {  // (G^T dU) G
    dg[3 * i + 0] = float(q[i][0] + 0.5 * (q[i][1] + q[i][2]));
    dg[3 * i + 1] = float(0.5 * (q[i][1] - q[i][2]));
    dg[3 * i + 2] = float(0.5 * (q[i][1] + q[i][2]) + q[i][3]);
  }
}

// ---- layout -------------------------------------------------------------------------------------
namespace {

// Where tile t's position p lands within a channel's row of groups.
inline size_t slot(int t, int p) { return size_t(t / 8) * kWinogradGroup + p * 8 + t % 8; }

// Zeros the lanes past the block's last tile (they feed the weight gradient's sums).
void clear_tail(const TileBlock& b, float* row) {
  for (int t = b.count(); t < b.groups() * 8; ++t)
    for (int p = 0; p < 16; ++p) row[slot(t, p)] = 0.f;
}

}  // namespace

// ---- lanes --------------------------------------------------------------------------------------
void pack_position(const float* v, int channels, size_t ch_stride, int groups, int group_floats,
                   int p, float* dt) {
  const size_t tiles = size_t(groups) * 8;
  for (int cb = 0; cb < (channels + kWide - 1) / kWide; ++cb)
    for (int half = 0; half < 2; ++half) {
      const int c0 = cb * kWide + half * kLanes;
      const int real = std::clamp(channels - c0, 0, kLanes);
      for (int g = 0; g < groups; ++g) {
        const float* src = v + c0 * ch_stride + size_t(g) * group_floats + p * 8;
        float* dst = dt + (cb * tiles + size_t(g) * 8) * kWide + half * kLanes;
        if (real == kLanes) {
          transpose8(src, ptrdiff_t(ch_stride), dst);
          continue;
        }
        for (int t = 0; t < 8; ++t)
          for (int l = 0; l < kLanes; ++l)
            dst[t * kWide + l] = l < real ? src[l * ch_stride + t] : 0.f;
      }
    }
}

// ---- input --------------------------------------------------------------------------------------
void winograd_input(const float* xpad, int channels, size_t plane, ptrdiff_t row,
                    const TileBlock& b, float* v, size_t ch_stride) {
  for (int c = 0; c < channels; ++c) {
    const float* xc = xpad + c * plane;
    float* vc = v + c * ch_stride;
    for (int t0 = 0; t0 < b.count(); t0 += 8) {
#ifdef HEP2_CPU_AVX2
      Halves h;
      if (vector_group(b, t0, h)) {
        const float* p = xc + 2 * h.ty[0] * row + 2 * h.tx[0];
        const float* q = xc + 2 * h.ty[1] * row + 2 * h.tx[1];
        __m256 d[4][4], out[16];
        for (int r = 0; r < 4; ++r) {
          deinterleave(p + r * row, q + r * row, d[r][0], d[r][1]);
          deinterleave(p + r * row + 2, q + r * row + 2, d[r][2], d[r][3]);
        }
        input_4x4<__m256, Vec>(d, out);
        float* dst = vc + size_t(t0 / 8) * kWinogradGroup;
        for (int pos = 0; pos < 16; ++pos) _mm256_storeu_ps(dst + pos * 8, out[pos]);
        continue;
      }
#endif
      for (int t = t0; t < std::min(t0 + 8, b.count()); ++t) {
        const float* top = xc + 2 * (b.ty0 + t / b.tiles_w) * row + 2 * (t % b.tiles_w);
        float d[4][4], out[16];
        for (int r = 0; r < 4; ++r)
          for (int j = 0; j < 4; ++j) d[r][j] = top[r * row + j];
        input_4x4<float>(d, out);
        for (int p = 0; p < 16; ++p) vc[slot(t, p)] = out[p];
      }
    }
    clear_tail(b, vc);
  }
}

// ---- output -------------------------------------------------------------------------------------
void winograd_output(const float* m, int channels, size_t ch_stride, const TileBlock& b,
                     const float* bias, Act act, float* y, int w, size_t plane) {
  for (int o = 0; o < channels; ++o) {
    const float* mo = m + o * ch_stride;
    float* yo = y + o * plane;
    const float bo = bias ? bias[o] : 0.f;
    for (int t0 = 0; t0 < b.count(); t0 += 8) {
#ifdef HEP2_CPU_AVX2
      Halves h;
      if (vector_group(b, t0, h)) {
        const __m256 bv = _mm256_set1_ps(bo), zero = _mm256_setzero_ps();
        const float* src = mo + size_t(t0 / 8) * kWinogradGroup;
        __m256 in[16], out[2][2];
        for (int pos = 0; pos < 16; ++pos) in[pos] = _mm256_loadu_ps(src + pos * 8);
        output_4x4<__m256, Vec>(in, out);
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j) {
            out[i][j] = _mm256_add_ps(out[i][j], bv);
            if (act == Act::Relu) out[i][j] = _mm256_max_ps(out[i][j], zero);  // = math::relu
          }
        float* p = yo + size_t(2 * h.ty[0]) * w + 2 * h.tx[0];
        float* q = yo + size_t(2 * h.ty[1]) * w + 2 * h.tx[1];
        interleave_store(out[0][0], out[0][1], p, q);
        interleave_store(out[1][0], out[1][1], p + w, q + w);
        continue;
      }
#endif
      for (int t = t0; t < std::min(t0 + 8, b.count()); ++t) {
        float in[16], out[2][2];
        for (int p = 0; p < 16; ++p) in[p] = mo[slot(t, p)];
        output_4x4<float>(in, out);
        float* y0 = yo + size_t(2 * (b.ty0 + t / b.tiles_w)) * w + 2 * (t % b.tiles_w);
        y0[0] = bias_act(out[0][0], bo, act);
        y0[1] = bias_act(out[0][1], bo, act);
        y0[w] = bias_act(out[1][0], bo, act);
        y0[w + 1] = bias_act(out[1][1], bo, act);
      }
    }
  }
}

// ---- output gradient ----------------------------------------------------------------------------
void winograd_grad(const float* dy, int channels, int w, size_t plane, const TileBlock& b, float* z,
                   size_t ch_stride) {
  for (int o = 0; o < channels; ++o) {
    const float* dyo = dy + o * plane;
    float* zo = z + o * ch_stride;
    for (int t0 = 0; t0 < b.count(); t0 += 8) {
#ifdef HEP2_CPU_AVX2
      Halves h;
      if (vector_group(b, t0, h)) {
        const float* p = dyo + size_t(2 * h.ty[0]) * w + 2 * h.tx[0];
        const float* q = dyo + size_t(2 * h.ty[1]) * w + 2 * h.tx[1];
        __m256 d[2][2], out[16];
        deinterleave(p, q, d[0][0], d[0][1]);
        deinterleave(p + w, q + w, d[1][0], d[1][1]);
        grad_2x2<__m256, Vec>(d, _mm256_setzero_ps(), out);
        float* dst = zo + size_t(t0 / 8) * kWinogradGroup;
        for (int pos = 0; pos < 16; ++pos) _mm256_storeu_ps(dst + pos * 8, out[pos]);
        continue;
      }
#endif
      for (int t = t0; t < std::min(t0 + 8, b.count()); ++t) {
        const float* r0 = dyo + size_t(2 * (b.ty0 + t / b.tiles_w)) * w + 2 * (t % b.tiles_w);
        const float d[2][2] = {{r0[0], r0[1]}, {r0[w], r0[w + 1]}};
        float out[16];
        grad_2x2<float>(d, 0.f, out);
        for (int p = 0; p < 16; ++p) zo[slot(t, p)] = out[p];
      }
    }
    clear_tail(b, zo);
  }
}

}  // namespace hep2::cpu
