// The transforms of Winograd's F(2x2, 3x3) (see winograd.h): the kernel's, and those of a tile
// (traits F23) that the shared tile loops of winograd_tiles.h run over a block of tiles.
#include "cpu/winograd.h"

#include <algorithm>

#include "cpu/tile_kernels.h"
#include "cpu/winograd_tiles.h"

namespace hep2::cpu {
namespace {

// ---- the transforms on one tile, or eight side by side (see winograd_tiles.h) ----------------
struct F23 {
  static constexpr int kPositions = 16, kPatch = 4;
  // V = B^T d B for a 4x4 d given by rows.
  template <class T, class O>
  static void input(const T d[4][4], T v[16]) {
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
  template <class T, class O>
  static void output(const T m[16], T y[2][2]) {
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
  template <class T, class O>
  static void grad(const T dy[2][2], T zero, T z[16]) {
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
};

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

// ---- the tile loops -----------------------------------------------------------------------------
void winograd_input(const float* xpad, int channels, size_t plane, ptrdiff_t row,
                    const TileBlock& b, float* v, size_t ch_stride) {
  winograd_tiles::input<F23>(xpad, channels, plane, row, b, v, ch_stride);
}

void winograd_output(const float* m, int channels, size_t ch_stride, const TileBlock& b,
                     const float* bias, Act act, float* y, int w, size_t plane) {
  winograd_tiles::output<F23>(m, channels, ch_stride, b, bias, act, y, w, plane);
}

void winograd_grad(const float* dy, int channels, int w, size_t plane, const TileBlock& b, float* z,
                   size_t ch_stride) {
  winograd_tiles::grad<F23>(dy, channels, w, plane, b, z, ch_stride);
}

}  // namespace hep2::cpu
