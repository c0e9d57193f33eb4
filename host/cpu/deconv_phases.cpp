// The DCAE decoder's transposed convolution (4x4 kernel, stride 2, pad 1) on the shifted GEMM, by
// output phase. Output pixel (2i + a, 2j + b) sees input row i + d through kernel row ky for the
// two pairs (ky, d) of phase a: a = 0 -> (1, 0), (3, -1); a = 1 -> (0, +1), (2, 0) (columns
// alike).
// So each of the four phases is a stride-1 2x2 correlation of the padded input, and together
// they do exactly the transposed convolution's multiply-adds: no zero taps, no col2im.
//   forward      per phase (a, b): y[o][2i+a][2j+b] = act(b[o] + sum_{c,t,u} w[c][o][ky][kx] x..)
//   backward dx  dx[c][i][j] = sum_{o,ky,kx} w[c][o][ky][kx] dy[o][2i-1+ky][2j-1+kx]: a stride-1
//                correlation over the phase split of dy (row 2i-1+ky is phase (ky+1)&1, row
//                i + e(ky), e = -1, 0, 0, +1)
//   backward dw  G[(o,ky,kx)][c] = sum_{i,j} dysplit(o,ky,kx)(i,j) x[c][i][j]: the same taps
#include "cpu/cpu_backend.h"
#include "cpu/padded_source.h"
#include "cpu/parallel.h"

namespace hep2::cpu {
namespace {

constexpr int kTapRow[2][2] = {{1, 3}, {0, 2}};   // phase a: the kernel rows it uses
constexpr int kTapShift[2][2] = {{0, -1}, {1, 0}};  // ... and the input row offset of each
constexpr int kSplitPhase[4] = {1, 0, 1, 0};        // kernel row ky reads dy phase (ky + 1) & 1
constexpr int kSplitShift[4] = {-1, 0, 0, 1};       // ... at low-resolution row i + shift

// Offsets of the 16 c_out taps of the backward passes in the phase split, k = (o, ky, kx).
void split_offsets(const PhaseSplit& sp, int c_out, int32_t* off) {
  for (int o = 0, i = 0; o < c_out; ++o)
    for (int ky = 0; ky < 4; ++ky)
      for (int kx = 0; kx < 4; ++kx)
        off[i++] = int32_t(sp.at(2 * kSplitPhase[ky] + kSplitPhase[kx], o, 1 + kSplitShift[ky],
                                  1 + kSplitShift[kx]));
}

}  // namespace

bool CpuBackend::phase_deconv_fits(const ConvGeom& g) {
  return g.k_h == 4 && g.k_w == 4 && g.stride == 2 && g.pad == 1;
}

void CpuBackend::phase_deconv_forward(const ConvGeom& g, const float* x, const float* w,
                                      const float* b, Act act, float* y) {
  const PaddedPlanes src{g.c_in, g.h, g.w, 1, 1};
  const int k = 4 * g.c_in;  // (c, t, u): two kernel rows and two columns per phase
  const size_t per_phase = size_t(g.c_out) * k;
  float* a = packed_weights(4 * per_phase);
  int32_t* off = tap_offsets(4 * size_t(k));
  ShiftedProduct s[4];
  const int oh = 2 * g.h, ow = 2 * g.w;
  for (int pa = 0; pa < 2; ++pa)
    for (int pb = 0; pb < 2; ++pb) {
      const int ph = 2 * pa + pb;
      pack_panels(g.c_out, k, [&](int o, int kk) {
        const int c = kk / 4, t = kk / 2 % 2, u = kk % 2;
        return w[((size_t(c) * g.c_out + o) * 4 + kTapRow[pa][t]) * 4 + kTapRow[pb][u]];
      }, a + ph * per_phase);
      int32_t* po = off + ph * k;
      for (int c = 0, i = 0; c < g.c_in; ++c)
        for (int t = 0; t < 2; ++t)
          for (int u = 0; u < 2; ++u)
            po[i++] = int32_t(src.at(c, 1 + kTapShift[pa][t], 1 + kTapShift[pb][u]));
      ShiftedProduct& sp = s[ph];
      sp.m = g.c_out, sp.k = k, sp.a = a + ph * per_phase, sp.off = po;
      sp.oh = g.h, sp.ow = g.w, sp.src_row = src.row();
      sp.dst_ch = ptrdiff_t(oh) * ow, sp.dst_row = 2 * ow, sp.dst_col = 2;
      sp.bias = b, sp.act = act;
    }
  const size_t in_size = g.input().per_sample(), out_size = g.deconv_output().per_sample();
  reserve_sources(size_t(g.n), src.floats());
  run_items(*pool_, threads_, size_t(g.n), [&](size_t i, int t) {
    pad_planes(src, x + i * in_size, source_scratch(t));
    float* yi = y + i * out_size;
    for (int ph = 0; ph < 4; ++ph)
      run_shifted(s[ph], source_scratch(t), yi + (ph / 2) * ow + ph % 2);
  });
}

void CpuBackend::phase_deconv_backward_data(const ConvGeom& g, const float* dy, const float* w,
                                            float* dx) {
  const PhaseSplit sp = phase_split_of(g.c_out, g.h, g.w);
  const int k = 16 * g.c_out;
  float* a = packed_weights(size_t(g.c_in) * k);
  // w is c_in x (c_out 4 4) row-major: already A[c][(o, ky, kx)].
  pack_panels(g.c_in, k, [&](int c, int kk) { return w[size_t(c) * k + kk]; }, a);
  int32_t* off = tap_offsets(size_t(k));
  split_offsets(sp, g.c_out, off);
  ShiftedProduct s;
  s.m = g.c_in, s.k = k, s.a = a, s.off = off, s.oh = g.h, s.ow = g.w;
  s.src_row = sp.stack.row(), s.dst_ch = ptrdiff_t(g.h) * g.w, s.dst_row = g.w;
  const size_t in_size = g.input().per_sample(), out_size = g.deconv_output().per_sample();
  reserve_sources(size_t(g.n), sp.floats());
  run_items(*pool_, threads_, size_t(g.n), [&](size_t i, int t) {
    split_phases(sp, dy + i * out_size, source_scratch(t), nullptr);
    run_shifted(s, source_scratch(t), dx + i * in_size);
  });
}

void CpuBackend::phase_deconv_backward_filter(const ConvGeom& g, const float* x, const float* dy,
                                              float* dw, float* db) {
  const PhaseSplit sp = phase_split_of(g.c_out, g.h, g.w);
  const int k = 16 * g.c_out;
  int32_t* off = tap_offsets(size_t(k));
  split_offsets(sp, g.c_out, off);
  GatherProduct gp;
  gp.k = k, gp.off = off, gp.oh = g.h, gp.ow = g.w, gp.src_row = sp.stack.row();
  const size_t in_size = g.input().per_sample(), out_size = g.deconv_output().per_sample();
  batch_gather_grad(
      g.n, gp, g.c_in, sp.floats(), false, g.c_out,
      [&](int t, size_t i, double* sums) {
        split_phases(sp, dy + i * out_size, source_scratch(t), sums);
        return x + i * in_size;
      },
      dw, db);
}

}  // namespace hep2::cpu
