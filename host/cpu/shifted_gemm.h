// The "shifted GEMM": a convolution of one image computed as a matrix product whose right-hand
// matrix is never built. Row k of the im2col matrix is the (zero-padded) source read at a fixed
// offset off[k] from each output pixel, so the register tile loads it straight from the padded
// source (tile_kernels.h) and no column matrix is written or read. Every convolution-like op of the
// CPU backend reduces to one of two shapes:
//   run_shifted  out[r][pixel] = act(bias[r] + sum_k A[r][k] src[off[k] + pixel])
//                conv forward, conv backward-data (flipped kernel), transposed-conv forward (per
//                output phase) and backward-data (on the phase-split gradient)
//   run_gather   G[k][j] += sum_pixel src[off[k] + pixel] dt[pixel][j]     (run_dot for few j)
//                the weight gradients, summed over the images of a worker
// The epilogue of run_shifted adds the bias and applies the activation while the tile is still
// in registers' reach, and can store with a column step of 2 (the phases of a transposed conv).
#pragma once
#include <cstddef>
#include <cstdint>

#include "hep2/backend/backend.h"

namespace hep2::cpu {

inline constexpr int kPanelRows = 6;  // rows of the main register tile

// Rows [row0, row0 + rows) of a matrix that is processed by one register tile.
struct Panel {
  int row0 = 0, rows = 0;
};
// Panels of at most 6 rows covering m rows. A remainder of 1-3 rows shares the last 6 instead of
// standing alone (7..9 rows -> two panels of 3..5), since a tile of few rows wastes most of the
// FMA pipeline's latency.
int panel_count(int m);
Panel panel_at(int m, int i);

// Packs the m x k matrix at(r, k) for the tiles: panel (row0, rows) occupies a[row0 * k, ...) as
// k groups of `rows` values. `a` holds m * k floats.
template <class At>
void pack_panels(int m, int k, const At& at, float* a) {
  for (int i = 0, n = panel_count(m); i < n; ++i) {
    const Panel p = panel_at(m, i);
    float* dst = a + size_t(p.row0) * k;
    for (int kk = 0; kk < k; ++kk)
      for (int r = 0; r < p.rows; ++r) *dst++ = at(p.row0 + r, kk);
  }
}

// One shifted product over an output grid of oh x ow pixels. Output pixel (y, x) reads the source
// at y * src_row + x + off[k]; the result for row r goes to dst + r dst_ch + y dst_row + x dst_col.
struct ShiftedProduct {
  int m = 0, k = 0;              // result rows (channels), reduction length (taps)
  const float* a = nullptr;      // pack_panels() of the m x k weights
  const int32_t* off = nullptr;  // k offsets into the source
  int oh = 0, ow = 0;
  ptrdiff_t src_row = 0;
  ptrdiff_t dst_ch = 0, dst_row = 0, dst_col = 1;
  const float* bias = nullptr;  // m values or null
  Act act = Act::None;
};
// The source must stay readable kSourceSlack floats past the last pixel any tap reaches.
void run_shifted(const ShiftedProduct& s, const float* src, float* dst);
inline constexpr size_t kSourceSlack = 16;  // floats of slack after every shifted source

// One weight gradient over a pixel grid of oh x ow: row k reads src[off[k] + y * src_row + x].
struct GatherProduct {
  int k = 0;                     // result rows (taps)
  const int32_t* off = nullptr;  // k offsets into the source
  int oh = 0, ow = 0;
  ptrdiff_t src_row = 0;
};
// g (k x lanes, lanes = a multiple of 16) (+)= sum over pixels of src(k, pixel) dt[pixel][lane],
// with dt laid out by pack_lanes(); overwrite = false accumulates into g.
void run_gather(const GatherProduct& s, const float* src, const float* dt, int lanes, float* g,
                bool overwrite);
// g (k x channels, double) += sum over pixels of src(k, pixel) d_j[pixel], d_j = d + j d_ch with
// rows of ow values: the form for a handful of channels, where 16 lanes would be mostly empty.
void run_dot(const GatherProduct& s, const float* src, const float* d, ptrdiff_t d_ch,
             int channels, double* g);

// Lanes (a multiple of 16) that pack_lanes() makes of `channels` channels.
inline int padded_lanes(int channels) { return (channels + 15) / 16 * 16; }
// dt[(b * pixels + p) * 16 + l] = src[(16 b + l) ch_stride + p] (0 for channels >= `channels`):
// the transposed, lane-blocked layout run_gather() reads. With sums, also adds each channel's total
// (in double) into sums[channel].
void pack_lanes(int channels, int pixels, const float* src, ptrdiff_t ch_stride, float* dt,
                double* sums);

}  // namespace hep2::cpu
