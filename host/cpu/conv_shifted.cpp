// Stride-1 convolutions on the shifted GEMM (shifted_gemm.h): each worker copies one image at a
// time into a zero border (padded_source.h) and runs the register tiles straight over it.
//   forward      y = act(W * x + b), taps at (ky, kx) of the padded x
//   backward dx  the full correlation of dy (padded by k - 1 - pad) with the flipped kernel,
//                so dx is written once per pixel instead of scattered by col2im
//   backward dw  G[(c, ky, kx)][o] = sum over pixels of xpad[c][y + ky][x + kx] dy[o][y][x]
#include "cpu/cpu_backend.h"
#include "cpu/padded_source.h"
#include "cpu/parallel.h"

namespace hep2::cpu {

bool CpuBackend::shifted_conv_fits(const ConvGeom& g) { return g.stride == 1; }

bool CpuBackend::shifted_conv_data_fits(const ConvGeom& g) {
  return g.stride == 1 && g.pad <= g.k_h - 1 && g.pad <= g.k_w - 1;
}

void CpuBackend::shifted_conv_forward(const ConvGeom& g, const float* x, const float* w,
                                      const float* b, Act act, float* y) {
  const PaddedPlanes src{g.c_in, g.h, g.w, g.pad, g.pad};
  const int oh = g.conv_out_h(), ow = g.conv_out_w();
  const int k = g.c_in * g.k_h * g.k_w;
  float* a = packed_weights(size_t(g.c_out) * k);
  pack_panels(g.c_out, k, [&](int r, int kk) { return w[size_t(r) * k + kk]; }, a);
  int32_t* off = tap_offsets(size_t(k));
  for (int c = 0, i = 0; c < g.c_in; ++c)
    for (int ky = 0; ky < g.k_h; ++ky)
      for (int kx = 0; kx < g.k_w; ++kx) off[i++] = int32_t(src.at(c, ky, kx));

  ShiftedProduct s;
  s.m = g.c_out, s.k = k, s.a = a, s.off = off, s.oh = oh, s.ow = ow, s.src_row = src.row();
  s.dst_ch = ptrdiff_t(oh) * ow, s.dst_row = ow, s.bias = b, s.act = act;
  const size_t in_size = g.input().per_sample(), out_size = g.conv_output().per_sample();
  reserve_sources(size_t(g.n), src.floats());
  run_items(*pool_, threads_, size_t(g.n), [&](size_t i, int t) {
    pad_planes(src, x + i * in_size, source_scratch(t));
    run_shifted(s, source_scratch(t), y + i * out_size);
  });
}

void CpuBackend::shifted_conv_backward_data(const ConvGeom& g, const float* dy, const float* w,
                                            float* dx) {
  const int oh = g.conv_out_h(), ow = g.conv_out_w();
  const PaddedPlanes src{g.c_out, oh, ow, g.k_h - 1 - g.pad, g.k_w - 1 - g.pad};
  const int k = g.c_out * g.k_h * g.k_w, taps = g.k_h * g.k_w;
  float* a = packed_weights(size_t(g.c_in) * k);
  // A[c][(o, ky, kx)] = w[o][c][k_h - 1 - ky][k_w - 1 - kx]: the transposed, flipped kernel.
  pack_panels(g.c_in, k, [&](int c, int kk) {
    const int o = kk / taps, ky = kk % taps / g.k_w, kx = kk % g.k_w;
    return w[((size_t(o) * g.c_in + c) * g.k_h + (g.k_h - 1 - ky)) * g.k_w + (g.k_w - 1 - kx)];
  }, a);
  int32_t* off = tap_offsets(size_t(k));
  for (int o = 0, i = 0; o < g.c_out; ++o)
    for (int ky = 0; ky < g.k_h; ++ky)
      for (int kx = 0; kx < g.k_w; ++kx) off[i++] = int32_t(src.at(o, ky, kx));

  ShiftedProduct s;
  s.m = g.c_in, s.k = k, s.a = a, s.off = off, s.oh = g.h, s.ow = g.w, s.src_row = src.row();
  s.dst_ch = ptrdiff_t(g.h) * g.w, s.dst_row = g.w;
  const size_t in_size = g.input().per_sample(), out_size = g.conv_output().per_sample();
  reserve_sources(size_t(g.n), src.floats());
  run_items(*pool_, threads_, size_t(g.n), [&](size_t i, int t) {
    pad_planes(src, dy + i * out_size, source_scratch(t));
    run_shifted(s, source_scratch(t), dx + i * in_size);
  });
}

void CpuBackend::shifted_conv_backward_filter(const ConvGeom& g, const float* x, const float* dy,
                                              float* dw, float* db) {
  const PaddedPlanes src{g.c_in, g.h, g.w, g.pad, g.pad};
  const int k = g.c_in * g.k_h * g.k_w;
  int32_t* off = tap_offsets(size_t(k));
  for (int c = 0, i = 0; c < g.c_in; ++c)
    for (int ky = 0; ky < g.k_h; ++ky)
      for (int kx = 0; kx < g.k_w; ++kx) off[i++] = int32_t(src.at(c, ky, kx));
  GatherProduct gp;
  gp.k = k, gp.off = off, gp.oh = g.conv_out_h(), gp.ow = g.conv_out_w(), gp.src_row = src.row();
  const size_t in_size = g.input().per_sample(), out_size = g.conv_output().per_sample();
  batch_gather_grad(
      g.n, gp, g.c_out, src.floats(), true, g.c_out,
      [&](int t, size_t i, double*) {
        pad_planes(src, x + i * in_size, source_scratch(t));
        return dy + i * out_size;
      },
      dw, db);
}

}  // namespace hep2::cpu
