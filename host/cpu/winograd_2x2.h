// Winograd's F(2x2, 2x2): a 2x2 kernel over 2x2 blocks ("tiles") of outputs with 9 multiplies
// instead of 16. Each output phase of the decoder's 4x4 stride-2 transposed convolution is such a
// 2x2 correlation (see deconv_phases.cpp), so this cuts its products by 16/9:
//     Y = A^T [ (G g G^T) . (B^T d B) ] A          (d = the tile's 3x3 input patch)
//     B^T = [1 -1 0; 0 1 0; 0 -1 1]   G = [1 0; 1 1; 0 1]   A^T = [1 1 0; 0 1 1]
// (1-D: y0 = d0 g0 + d1 g1 = (d0 - d1) g0 + d1 (g0 + g1); y1 = d1 (g0 + g1) + (d2 - d1) g1.) All
// entries are 0 or +-1, so the transforms add no rounding beyond their adds. Weight gradient, as
// for F(2x2, 3x3): dU = sum over tiles of Z V^T, Z = A X A^T, dg = G^T dU G.
// Layout: as winograd.h with 9 positions, so a group is 72 floats: channel c, group g, position p,
// lane l at c ch_stride + g 72 + p 8 + l.
#pragma once
#include <cstddef>

#include "cpu/winograd.h"

namespace hep2::cpu {

inline constexpr int kPositions2x2 = 9;
inline constexpr int kGroup2x2 = kPositions2x2 * 8;

// U = G g G^T (2x2 row-major -> 9), dg = G^T dU G (9 -> 2x2).
void winograd2_kernel(const float* g, float* u);
void winograd2_kernel_grad(const double* du, float* dg);

// V = B^T d B for the 3x3 patches at padded rows 2 ty + oy .. + 2, columns 2 tx + ox .. + 2 of
// `channels` planes (`row` floats per row, `plane` per plane).
void winograd2_input(const float* src, int channels, size_t plane, ptrdiff_t row, int oy, int ox,
                     const TileBlock& b, float* v, size_t ch_stride);
// M -> y = A^T M A as 2x2 tiles of planes w wide (no bias, no activation).
void winograd2_output(const float* m, int channels, size_t ch_stride, const TileBlock& b, float* y,
                      int w, size_t plane);
// The four phases of a transposed convolution (phase 2 a + b's M at m + (2 a + b) phase_stride)
// -> y[o][2 (2 ty + r) + a][2 (2 tx + c) + b] = act(tile value (r, c) + bias[o]), y planes w_out
// wide: each output row gathers the four phases' values, so it is written contiguously.
void winograd2_output_phases(const float* m, size_t phase_stride, int channels, size_t ch_stride,
                             const TileBlock& b, const float* bias, Act act, float* y, int w_out,
                             size_t plane);
// x (channels planes w wide) -> Z = A X A^T per 2x2 tile.
void winograd2_grad(const float* x, int channels, int w, size_t plane, const TileBlock& b, float* z,
                    size_t ch_stride);

}  // namespace hep2::cpu
