// im2col / col2im on a band of output rows. For each kernel tap (ci, ky, kx) the output columns
// whose input pixel lies inside the image form one contiguous range [ox_lo, ox_hi), computed once
// per tap, so the inner loops carry no bounds tests (and are plain copies when stride is 1).
#include "cpu/im2col.h"

#include <algorithm>
#include <cstring>

namespace hep2::cpu {
namespace {

// Output columns ox whose input column ox * stride - pad + kx lies in [0, w).
struct ColumnSpan {
  int lo, hi;
};
ColumnSpan valid_columns(const ColGeom& g, int kx) {
  int first = g.pad - kx;           // need ox * stride >= first
  int last = g.w - 1 + g.pad - kx;  // need ox * stride <= last
  int lo = first <= 0 ? 0 : (first + g.stride - 1) / g.stride;
  int hi = last < 0 ? 0 : std::min(g.ow, last / g.stride + 1);
  lo = std::min(lo, hi);
  return {lo, hi};
}

}  // namespace

void im2col_rows(const ColGeom& g, const float* x, int oy0, int oy1, float* col) {
  const size_t band = size_t(oy1 - oy0) * g.ow;
  const int s = g.stride;
  for (int ci = 0; ci < g.c; ++ci) {
    const float* plane = x + size_t(ci) * g.in_plane();
    for (int ky = 0; ky < g.kh; ++ky)
      for (int kx = 0; kx < g.kw; ++kx) {
        float* dst = col + ((size_t(ci) * g.kh + ky) * g.kw + kx) * band;
        const ColumnSpan span = valid_columns(g, kx);
        const int off = kx - g.pad;
        for (int oy = oy0; oy < oy1; ++oy, dst += g.ow) {
          const int iy = oy * s - g.pad + ky;
          if (iy < 0 || iy >= g.h) {
            std::memset(dst, 0, sizeof(float) * size_t(g.ow));
            continue;
          }
          const float* row = plane + size_t(iy) * g.w;  // row[ox * s + off] is the tap
          std::fill(dst, dst + span.lo, 0.f);
          if (s == 1 && span.hi > span.lo)
            std::memcpy(dst + span.lo, row + (span.lo + off),
                        sizeof(float) * size_t(span.hi - span.lo));
          else if (s != 1)
            for (int ox = span.lo; ox < span.hi; ++ox) dst[ox] = row[ox * s + off];
          std::fill(dst + span.hi, dst + g.ow, 0.f);
        }
      }
  }
}

void col2im_rows(const ColGeom& g, const float* col, int oy0, int oy1, float* x) {
  const size_t band = size_t(oy1 - oy0) * g.ow;
  const int s = g.stride;
  for (int ci = 0; ci < g.c; ++ci) {
    float* plane = x + size_t(ci) * g.in_plane();
    for (int ky = 0; ky < g.kh; ++ky)
      for (int kx = 0; kx < g.kw; ++kx) {
        const float* src = col + ((size_t(ci) * g.kh + ky) * g.kw + kx) * band;
        const ColumnSpan span = valid_columns(g, kx);
        const int off = kx - g.pad;
        for (int oy = oy0; oy < oy1; ++oy, src += g.ow) {
          const int iy = oy * s - g.pad + ky;
          if (iy < 0 || iy >= g.h) continue;
          float* row = plane + size_t(iy) * g.w;  // row[ox * s + off] is the tap
          if (s == 1) {
#pragma omp simd
            for (int ox = span.lo; ox < span.hi; ++ox) row[ox + off] += src[ox];
          } else {
            for (int ox = span.lo; ox < span.hi; ++ox) row[ox * s + off] += src[ox];
          }
        }
      }
  }
}

}  // namespace hep2::cpu
