// Convolution ops of the CPU backend: 3x3 layers with 16+ channels by Winograd F(2x2, 3x3)
// (conv_winograd.cpp), other stride-1 convolutions on the shifted GEMM (conv_shifted.cpp), the rest
// by im2col + sgemm per image (conv_engine.h); and the geometry check shared with the transposed
// convolution.
#include "cpu/cpu_backend.h"
#include "hep2/core/error.h"

namespace hep2::cpu {

void check_conv_geom(const ConvGeom& g, const char* op, bool transposed) {
  if (g.n <= 0 || g.c_in <= 0 || g.c_out <= 0 || g.h <= 0 || g.w <= 0 || g.k_h <= 0 || g.k_w <= 0 ||
      g.stride <= 0 || g.pad < 0)
    fail("cpu ", op, ": invalid geometry (n ", g.n, ", c_in ", g.c_in, ", c_out ", g.c_out, ", ",
         g.h, "x", g.w, ", kernel ", g.k_h, "x", g.k_w, ", stride ", g.stride, ", pad ", g.pad,
         "); sizes, kernel and stride must be positive and the padding not negative");
  if (transposed) {
    if (g.deconv_out_h() <= 0 || g.deconv_out_w() <= 0)
      fail("cpu ", op, ": input ", g.h, "x", g.w, " with kernel ", g.k_h, "x", g.k_w, ", stride ",
           g.stride, ", pad ", g.pad, " gives an empty output; reduce the padding");
  } else if (g.h + 2 * g.pad < g.k_h || g.w + 2 * g.pad < g.k_w) {
    fail("cpu ", op, ": kernel ", g.k_h, "x", g.k_w, " is larger than the padded input ",
         g.h + 2 * g.pad, "x", g.w + 2 * g.pad, "; use a smaller kernel or more padding");
  }
}

void CpuBackend::conv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* b,
                                Act act, float* y) {
  check_conv_geom(g, "conv2d_forward", false);
  if (winograd_fits(g))
    winograd_forward(g, x, w, b, act, y);
  else if (shifted_conv_fits(g))
    shifted_conv_forward(g, x, w, b, act, y);
  else
    batch_view_forward(conv_view(g), g.n, w, x, b, act, y);
}

void CpuBackend::conv2d_backward_data(const ConvGeom& g, const float* dy, const float* w,
                                      float* dx) {
  check_conv_geom(g, "conv2d_backward_data", false);
  if (winograd_fits(g))
    winograd_backward_data(g, dy, w, dx);
  else if (shifted_conv_data_fits(g))
    shifted_conv_backward_data(g, dy, w, dx);
  else
    batch_view_adjoint(conv_view(g), g.n, w, dy, nullptr, Act::None, dx);
}

void CpuBackend::conv2d_backward_filter(const ConvGeom& g, const float* x, const float* dy,
                                        float* dw, float* db) {
  check_conv_geom(g, "conv2d_backward_filter", false);
  if (winograd_fits(g)) return winograd_backward_filter(g, x, dy, dw, db);
  if (shifted_conv_fits(g)) return shifted_conv_backward_filter(g, x, dy, dw, db);
  const ConvView v = conv_view(g);
  batch_view_weight_grad(v, g.n, x, dy, dw, dy, g.c_out, v.col.out_plane(), db);
}

}  // namespace hep2::cpu
