// The transforms of Winograd's F(2x2, 2x2) (see winograd_2x2.h): the kernel's, a tile's (traits
// F22, run over a block of tiles by the shared loops of winograd_tiles.h), and the decoder's
// output of four phases at once, which only this algorithm has.
#include "cpu/winograd_2x2.h"

#include <algorithm>

#include "cpu/tile_kernels.h"
#include "cpu/winograd_tiles.h"

namespace hep2::cpu {
namespace {

// V = B^T d B, B^T = [1 -1 0; 0 1 0; 0 -1 1].
template <class T, class O>
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
template <class T, class O>
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
template <class T, class O>
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

// Traits of F(2x2, 2x2) for the shared tile loops (winograd_tiles.h).
struct F22 {
  static constexpr int kPositions = kPositions2x2, kPatch = 3;
  template <class T, class O>
  static void input(const T d[3][3], T v[9]) { input_3x3<T, O>(d, v); }
  template <class T, class O>
  static void output(const T m[9], T y[2][2]) { output_3x3<T, O>(m, y); }
  template <class T, class O>
  static void grad(const T x[2][2], T /*zero*/, T z[9]) { grad_2x2<T, O>(x, z); }
};

using winograd_tiles::bias_act;
using winograd_tiles::ScalarOps;
inline size_t slot(int t, int p) { return winograd_tiles::slot<F22>(t, p); }
#ifdef HEP2_CPU_AVX2
using winograd_tiles::VecOps;
#endif

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

// ---- the tile loops -----------------------------------------------------------------------------
void winograd2_input(const float* src, int channels, size_t plane, ptrdiff_t row, int oy, int ox,
                     const TileBlock& b, float* v, size_t ch_stride) {
  winograd_tiles::input<F22>(src + oy * row + ox, channels, plane, row, b, v, ch_stride);
}

void winograd2_output(const float* m, int channels, size_t ch_stride, const TileBlock& b, float* y,
                      int w, size_t plane) {
  winograd_tiles::output<F22>(m, channels, ch_stride, b, nullptr, Act::None, y, w, plane);
}

void winograd2_grad(const float* x, int channels, int w, size_t plane, const TileBlock& b, float* z,
                    size_t ch_stride) {
  winograd_tiles::grad<F22>(x, channels, w, plane, b, z, ch_stride);
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
        const __m256 bv = _mm256_set1_ps(bo);
        __m256 out[4][2][2];  // [phase 2 a + b][r][c]
        for (int ph = 0; ph < 4; ++ph) {
          const float* src = m + ph * phase_stride + o * ch_stride + size_t(t0 / 8) * kGroup2x2;
          __m256 in[9];
          for (int pos = 0; pos < kPositions2x2; ++pos) in[pos] = _mm256_loadu_ps(src + pos * 8);
          output_3x3<__m256, VecOps>(in, out[ph]);
          for (int r = 0; r < 2; ++r)
            for (int c = 0; c < 2; ++c) out[ph][r][c] = bias_act(out[ph][r][c], bv, act);
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
          output_3x3<float, ScalarOps<float>>(in, out);
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

}  // namespace hep2::cpu
