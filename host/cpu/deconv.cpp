// Transposed convolution ops of the CPU backend. The DCAE's 4x4 stride-2 pad-1 layer runs by output
// phase: by Winograd F(2x2, 2x2) with 16+ channels (deconv_winograd.cpp), else on the shifted GEMM
// (deconv_phases.cpp); any other geometry is the adjoint of the
// convolution "view" of the same weights (Caffe's deconvolution): forward is W^T x + col2im,
// backward-data a plain conv forward, backward-filter correlates x with im2col(dy).
#include "cpu/cpu_backend.h"

namespace hep2::cpu {

void CpuBackend::deconv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* b,
                                  Act act, float* y) {
  check_conv_geom(g, "deconv2d_forward", true);
  if (winograd_deconv_fits(g)) return winograd_deconv_forward(g, x, w, b, act, y);
  if (phase_deconv_fits(g)) return phase_deconv_forward(g, x, w, b, act, y);
  batch_view_adjoint(deconv_view(g), g.n, w, x, b, act, y);
}

void CpuBackend::deconv2d_backward_data(const ConvGeom& g, const float* dy, const float* w,
                                        float* dx) {
  check_conv_geom(g, "deconv2d_backward_data", true);
  if (winograd_deconv_fits(g)) return winograd_deconv_backward_data(g, dy, w, dx);
  if (phase_deconv_fits(g)) return phase_deconv_backward_data(g, dy, w, dx);
  batch_view_forward(deconv_view(g), g.n, w, dy, nullptr, Act::None, dx);
}

void CpuBackend::deconv2d_backward_filter(const ConvGeom& g, const float* x, const float* dy,
                                          float* dw, float* db) {
  check_conv_geom(g, "deconv2d_backward_filter", true);
  if (winograd_deconv_fits(g)) return winograd_deconv_backward_filter(g, x, dy, dw, db);
  if (phase_deconv_fits(g)) return phase_deconv_backward_filter(g, x, dy, dw, db);
  const ConvView v = deconv_view(g);
  // In the view dy is the input and x the output: dw (c_in x c_out k k) = x im2col(dy)^T.
  batch_view_weight_grad(v, g.n, dy, x, dw, dy, g.c_out, v.col.in_plane(), db);
}

}  // namespace hep2::cpu
