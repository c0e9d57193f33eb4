// The per-image im2col + sgemm kernels behind every convolution and transposed convolution.
#include "cpu/conv_engine.h"

#include <algorithm>
#include <cstring>

#include "cpu/gemm.h"

namespace hep2::cpu {

int ConvView::band_rows() const {
  size_t per_row = col.rows() * size_t(col.ow);
  size_t rows = per_row ? kColBudgetFloats / per_row : size_t(col.oh);
  return int(std::clamp<size_t>(rows, 1, size_t(col.oh)));
}

size_t ConvView::col_floats() const {
  return pointwise() ? 0 : col.rows() * size_t(band_rows()) * size_t(col.ow);
}

ConvView conv_view(const ConvGeom& g) {
  ConvView v;
  v.col = {g.c_in, g.h, g.w, g.k_h, g.k_w, g.stride, g.pad, g.conv_out_h(), g.conv_out_w()};
  v.oc = g.c_out;
  return v;
}

ConvView deconv_view(const ConvGeom& g) {
  ConvView v;
  v.col = {g.c_out, g.deconv_out_h(), g.deconv_out_w(), g.k_h, g.k_w, g.stride, g.pad, g.h, g.w};
  v.oc = g.c_in;
  return v;
}

void bias_act(float* y, int channels, size_t stride, size_t len, const float* b, Act act) {
  if (!b && act == Act::None) return;
  for (int c = 0; c < channels; ++c) {
    float* row = y + size_t(c) * stride;
    const float bc = b ? b[c] : 0.f;
    if (act == Act::Relu) {
#pragma omp simd
      for (size_t i = 0; i < len; ++i) row[i] = math::relu(row[i] + bc);
    } else {
#pragma omp simd
      for (size_t i = 0; i < len; ++i) row[i] += bc;
    }
  }
}

void view_forward(const ConvView& v, const float* w, const float* x, const float* b, Act act,
                  float* col, float* y) {
  const int k = int(v.col.rows());
  const int plane = int(v.col.out_plane());
  if (v.pointwise()) {
    sgemm(Op::N, Op::N, v.oc, plane, k, 1.f, w, k, x, plane, 0.f, y, plane);
    bias_act(y, v.oc, size_t(plane), size_t(plane), b, act);
    return;
  }
  const int band = v.band_rows();
  for (int oy0 = 0; oy0 < v.col.oh; oy0 += band) {
    const int oy1 = std::min(v.col.oh, oy0 + band);
    const int cols = (oy1 - oy0) * v.col.ow;
    float* yb = y + size_t(oy0) * v.col.ow;
    im2col_rows(v.col, x, oy0, oy1, col);
    sgemm(Op::N, Op::N, v.oc, cols, k, 1.f, w, k, col, cols, 0.f, yb, plane);
    bias_act(yb, v.oc, size_t(plane), size_t(cols), b, act);  // while the band is in cache
  }
}

void view_adjoint(const ConvView& v, const float* w, const float* y, float* col, float* x) {
  const int k = int(v.col.rows());
  const int plane = int(v.col.out_plane());
  if (v.pointwise()) {
    sgemm(Op::T, Op::N, k, plane, v.oc, 1.f, w, k, y, plane, 0.f, x, plane);
    return;
  }
  std::memset(x, 0, sizeof(float) * v.in_size());
  const int band = v.band_rows();
  for (int oy0 = 0; oy0 < v.col.oh; oy0 += band) {
    const int oy1 = std::min(v.col.oh, oy0 + band);
    const int cols = (oy1 - oy0) * v.col.ow;
    sgemm(Op::T, Op::N, k, cols, v.oc, 1.f, w, k, y + size_t(oy0) * v.col.ow, plane, 0.f, col,
          cols);
    col2im_rows(v.col, col, oy0, oy1, x);
  }
}

void view_weight_grad(const ConvView& v, const float* x, const float* dy, float* col, float* dw,
                      bool accumulate) {
  const int k = int(v.col.rows());
  const int plane = int(v.col.out_plane());
  if (v.pointwise()) {
    sgemm(Op::N, Op::T, v.oc, k, plane, 1.f, dy, plane, x, plane, accumulate ? 1.f : 0.f, dw, k);
    return;
  }
  const int band = v.band_rows();
  for (int oy0 = 0; oy0 < v.col.oh; oy0 += band) {
    const int oy1 = std::min(v.col.oh, oy0 + band);
    const int cols = (oy1 - oy0) * v.col.ow;
    im2col_rows(v.col, x, oy0, oy1, col);
    const float beta = (accumulate || oy0 > 0) ? 1.f : 0.f;
    sgemm(Op::N, Op::T, v.oc, k, cols, 1.f, dy + size_t(oy0) * v.col.ow, plane, col, cols, beta, dw,
          k);
  }
}

}  // namespace hep2::cpu
