// Shapes: the NCHW shape of an activation tensor and the geometry of a (transposed) convolution.
#pragma once
#include <cstddef>
#include <string>

#include "hep2/core/hd.h"

namespace hep2 {

// An activation tensor is always batch x channels x height x width, row-major (NCHW).
// Dense activations are n x c x 1 x 1.
struct Shape4 {
  int n = 0, c = 0, h = 0, w = 0;
  HEP2_HD size_t per_sample() const { return size_t(c) * size_t(h) * size_t(w); }
  HEP2_HD size_t count() const { return size_t(n) * per_sample(); }
  bool operator==(const Shape4&) const = default;
  std::string str() const {
    return std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(h) + "x" +
           std::to_string(w);
  }
};

// Geometry of a 2-D convolution or transposed convolution with square stride/padding.
//   conv:       input n x c_in x h x w, weights c_out x c_in x k_h x k_w (PyTorch Conv2d layout),
//               output h_out = (h + 2 pad - k_h) / stride + 1.
//   transposed: input n x c_in x h x w, weights c_in x c_out x k_h x k_w (PyTorch ConvTranspose2d
//               layout), output h_out = (h - 1) stride - 2 pad + k_h.
// The transposed convolution is exactly the adjoint of the convolution with the same weights,
// so conv_out_* and deconv_out_* are each other's inverse for the sizes we use.
struct ConvGeom {
  int n = 0, c_in = 0, h = 0, w = 0;
  int c_out = 0, k_h = 0, k_w = 0;
  int stride = 1, pad = 0;

  HEP2_HD int conv_out_h() const { return (h + 2 * pad - k_h) / stride + 1; }
  HEP2_HD int conv_out_w() const { return (w + 2 * pad - k_w) / stride + 1; }
  HEP2_HD int deconv_out_h() const { return (h - 1) * stride - 2 * pad + k_h; }
  HEP2_HD int deconv_out_w() const { return (w - 1) * stride - 2 * pad + k_w; }
  HEP2_HD size_t weight_count() const { return size_t(c_out) * c_in * k_h * k_w; }
  Shape4 input() const { return {n, c_in, h, w}; }
  Shape4 conv_output() const { return {n, c_out, conv_out_h(), conv_out_w()}; }
  Shape4 deconv_output() const { return {n, c_out, deconv_out_h(), deconv_out_w()}; }
};

}  // namespace hep2
