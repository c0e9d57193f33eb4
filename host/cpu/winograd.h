// Winograd's minimal filtering F(2x2, 3x3) for the 3x3, stride-1, pad-1 convolutions (Lavin &
// Gray 2016). Each 2x2 block of outputs ("tile") is
//     Y = A^T [ (G g G^T) . (B^T d B) ] A          (. = element-wise, d = the tile's 4x4 input)
// so after the transforms the 36 multiplies per tile and channel pair become 16, and they form 16
// independent matrix products ("positions"): M[pos] = U[pos] V[pos], U = G g G^T (c_out x c_in),
// V = B^T d B (c_in x tiles). The weight gradient follows from the same algebra:
//     dU[pos] = sum over tiles of Z[pos] V[pos]^T, Z = A dY A^T,  dg = G^T dU G.
// The matrices (all entries 0, +-1, +-1/2, so the transforms are exact up to one rounding per add):
//     B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
//     A^T = [1 1 1 0; 0 1 -1 -1]
// Layout of a transformed tensor: the tiles of a block of tile rows are numbered t = (ty - ty0)
// tiles_w + tx and grouped by 8 (g = t / 8, lane = t % 8); channel c, group g, position p, lane l
// is at c ch_stride + g 128 + p 8 + l. So each transform reads or writes one contiguous 512-byte
// block per channel and group, and a product over one position sees a grid of `groups` rows of 8
// pixels, 128 floats apart (what run_shifted and run_gather walk). Lanes past the block's last
// tile hold zeros.
#pragma once
#include <cstddef>

#include "hep2/backend/backend.h"

namespace hep2::cpu {

// U = G g G^T: a 3x3 kernel (row-major) to its 16 positions.
void winograd_kernel(const float* g, float* u);
// dg = G^T dU G: 16 positions of a kernel's gradient back to 3x3 (row-major).
void winograd_kernel_grad(const double* du, float* dg);

inline constexpr int kWinogradGroup = 128;  // floats per group: 16 positions x 8 lanes

// The tiles [ty0, ty0 + rows) x [0, tiles_w) of a padded input (pad 1: tile (ty, tx) reads padded
// rows 2 ty .. 2 ty + 3 and columns 2 tx .. 2 tx + 3).
struct TileBlock {
  int ty0 = 0, rows = 0, tiles_w = 0;
  int count() const { return rows * tiles_w; }
  int groups() const { return (count() + 7) / 8; }
};
// A group of 8 tiles as two halves of 4, each within one tile row: lane l of a vector holds tile
// t0 + l, i.e. half l / 4 at tile (ty[half], tx[half] + l % 4). Such a group goes through the
// transforms in vector registers; a partial last group, tile rows of a width that is not a
// multiple of 4, or a build without AVX2 take the scalar loop (the same adds in the same order).
struct Halves {
  int ty[2], tx[2];
};
inline bool vector_group(const TileBlock& b, int t0, Halves& h) {
#if defined(__AVX2__) && defined(__FMA__)
  if (t0 + 8 > b.count() || b.tiles_w % 4) return false;
  for (int i = 0; i < 2; ++i) {
    h.ty[i] = b.ty0 + (t0 + 4 * i) / b.tiles_w;
    h.tx[i] = (t0 + 4 * i) % b.tiles_w;
  }
  return true;
#else
  (void)b, (void)t0, (void)h;
  return false;
#endif
}

// Position p of a transformed block (channels x groups of `group_floats`) as run_gather's lanes
// (shifted_gemm.h): dt[(cb * groups * 8 + t) * 16 + l] = channel 16 cb + l, tile t (zeros for
// channels past `channels`).
void pack_position(const float* v, int channels, size_t ch_stride, int groups, int group_floats,
                   int p, float* dt);

// xpad (channels padded planes, `row` floats per padded row) -> V = B^T d B.
void winograd_input(const float* xpad, int channels, size_t plane, ptrdiff_t row,
                    const TileBlock& b, float* v, size_t ch_stride);
// M -> y (channels x h x w, w = 2 tiles_w): y = act(A^T M A + bias).
void winograd_output(const float* m, int channels, size_t ch_stride, const TileBlock& b,
                     const float* bias, Act act, float* y, int w, size_t plane);
// dy (channels x h x w) -> Z = A dY A^T per tile.
void winograd_grad(const float* dy, int channels, int w, size_t plane, const TileBlock& b, float* z,
                   size_t ch_stride);

}  // namespace hep2::cpu
