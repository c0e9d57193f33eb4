// The sources the shifted GEMM reads (shifted_gemm.h): one image's planes copied into a zero
// border, so that every tap of a convolution is a plain offset and no tile tests a bound; and the
// phase split of a transposed convolution's gradient, which turns its stride-2 reads into four
// stride-1 planes.
#pragma once
#include <cstddef>

namespace hep2::cpu {

// A stack of `planes` planes of h x w values with a zero border of pad_h rows (top and bottom)
// and pad_w columns (left and right).
struct PaddedPlanes {
  int planes = 0, h = 0, w = 0, pad_h = 0, pad_w = 0;
  int rows() const { return h + 2 * pad_h; }
  int row() const { return w + 2 * pad_w; }  // floats from one padded row to the next
  size_t plane() const { return size_t(rows()) * row(); }
  size_t floats() const;                     // the whole stack plus the readable slack
  // Offset of tap (dy, dx) from the output pixel (0, 0) of a stride-1 product: plane c, row dy,
  // column dx of the padded plane.
  ptrdiff_t at(int c, int dy, int dx) const {
    return ptrdiff_t(c) * ptrdiff_t(plane()) + ptrdiff_t(dy) * row() + dx;
  }
};

// dst (p.floats()) = the planes of src (planes x h x w, contiguous) inside their zero borders.
void pad_planes(const PaddedPlanes& p, const float* src, float* dst);

// The phase split of a 2h x 2w gradient of `planes` channels: phase (a, b) (index 2 a + b) holds
// g[c][2 i + a][2 j + b] as a plane of h x w inside a border of one zero. Layout: 4 stacks of
// `planes` planes (phase-major); with sums, each channel's total (double) is added into sums[c].
struct PhaseSplit {
  PaddedPlanes stack;  // one phase: planes x h x w, pad 1
  size_t phase_stride() const { return size_t(stack.planes) * stack.plane(); }
  size_t floats() const;
  ptrdiff_t at(int phase, int c, int dy, int dx) const {
    return ptrdiff_t(phase) * ptrdiff_t(phase_stride()) + stack.at(c, dy, dx);
  }
};
PhaseSplit phase_split_of(int planes, int h, int w);
void split_phases(const PhaseSplit& s, const float* g, float* dst, double* sums);

}  // namespace hep2::cpu
