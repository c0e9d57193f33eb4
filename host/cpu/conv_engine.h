// One image's convolution lowered to im2col + sgemm, and the two products derived from it. The
// transposed convolution is the adjoint of a convolution, so both conv and deconv ops of the
// backend are built from these three per-image kernels on a "conv view":
//   conv forward      = view_forward        deconv forward       = view_adjoint
//   conv backward dx  = view_adjoint        deconv backward dx   = view_forward
//   conv backward dw  = view_weight_grad    deconv backward dw   = view_weight_grad (x, dy swapped)
// Large column matrices are processed in bands of output rows (kColBudgetFloats) so each band is
// consumed by the GEMM while still in cache.
#pragma once
#include <cstddef>

#include "cpu/im2col.h"
#include "hep2/backend/backend.h"

namespace hep2::cpu {

// Upper bound on one column band (floats): 512 KiB, half of a typical per-core L2.
inline constexpr size_t kColBudgetFloats = size_t(1) << 17;

// A convolution from c x h x w (col.c/h/w) to oc x oh x ow with weights oc x (c kh kw).
struct ConvView {
  ColGeom col;
  int oc = 0;
  // A 1x1, stride 1, unpadded kernel needs no im2col: the input is its own column matrix.
  bool pointwise() const { return col.kh == 1 && col.kw == 1 && col.stride == 1 && col.pad == 0; }
  int band_rows() const;      // output rows per column band
  size_t col_floats() const;  // column buffer a worker needs (0 for pointwise)
  size_t in_size() const { return size_t(col.c) * col.in_plane(); }
  size_t out_size() const { return size_t(oc) * col.out_plane(); }
};

// The convolution of g itself: c_in x h x w -> c_out x conv_out.
ConvView conv_view(const ConvGeom& g);
// The convolution whose adjoint is the transposed convolution of g: c_out x deconv_out -> c_in x
// h x w, with g's c_in x c_out x k x k weights read as a c_in x (c_out k k) matrix.
ConvView deconv_view(const ConvGeom& g);

// y = act(W im2col(x) + b) for one image; b may be null. col: col_floats() of scratch.
void view_forward(const ConvView& v, const float* w, const float* x, const float* b, Act act,
                  float* col, float* y);
// x = col2im(W^T y) for one image (x fully written).
void view_adjoint(const ConvView& v, const float* w, const float* y, float* col, float* x);
// dw (+)= dy im2col(x)^T for one image; accumulate = false overwrites dw.
void view_weight_grad(const ConvView& v, const float* x, const float* dy, float* col, float* dw,
                      bool accumulate);

// y[c][i] = act(y[c][i] + b[c]) for `channels` rows of `len` values, `stride` apart; b may be null.
void bias_act(float* y, int channels, size_t stride, size_t len, const float* b, Act act);

}  // namespace hep2::cpu
