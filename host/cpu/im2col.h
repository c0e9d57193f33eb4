// im2col and its adjoint col2im: the rearrangement that turns a convolution of one image into a
// matrix product. Column matrix rows are (channel, ky, kx) in PyTorch weight order; columns are
// output pixels. Both work on a band of output rows so the column matrix of a large layer can be
// built and consumed in cache-sized pieces.
#pragma once
#include <cstddef>

namespace hep2::cpu {

// Input c x h x w, a kh x kw kernel with square stride and zero padding, output oh x ow.
struct ColGeom {
  int c = 0, h = 0, w = 0;
  int kh = 0, kw = 0, stride = 1, pad = 0;
  int oh = 0, ow = 0;
  size_t rows() const { return size_t(c) * kh * kw; }  // the GEMM depth
  size_t in_plane() const { return size_t(h) * w; }
  size_t out_plane() const { return size_t(oh) * ow; }
};

// col (rows() x (oy1 - oy0) * ow, row-major) = the receptive fields of output rows [oy0, oy1) of x
// (c x h x w); taps that fall in the padding are 0.
void im2col_rows(const ColGeom& g, const float* x, int oy0, int oy1, float* col);
// x += the adjoint of im2col_rows: every column entry is added back to the pixel it was read from
// (padding taps are dropped). The caller zeroes x before the first band.
void col2im_rows(const ColGeom& g, const float* col, int oy0, int oy1, float* x);

}  // namespace hep2::cpu
