// The 3x3, stride-1, pad-1 convolutions with enough channels on both sides, by Winograd's
// F(2x2, 3x3) (winograd.h): 16 multiplies per 2x2 output tile and channel pair instead of 36. Each
// worker takes one image at a time and walks it in blocks of tile rows (about 64 tiles) so the
// transformed block stays in L2 (layout in winograd.h); the 16 per-position products run on the
// shifted GEMM's register tiles.
//   forward      y = act(A^T [U . V] A + b)
//   backward dx  the same with the transposed, flipped kernel (a 3x3 pad-1 conv of dy)
//   backward dw  dU = sum over tiles of Z V^T per position (run_gather), dg = G^T dU G
#include <algorithm>

#include "cpu/cpu_backend.h"
#include "cpu/padded_source.h"
#include "cpu/parallel.h"
#include "cpu/tile_kernels.h"
#include "cpu/winograd.h"

namespace hep2::cpu {
namespace {

// Below this many channels (in or out) the per-position products are too thin to pay for the
// transforms: such a layer (the first, 1 -> 32) stays on the shifted GEMM.
constexpr int kMinChannels = 16;
// Tiles per block: the block's transformed input and output (16 positions x channels x tiles)
// stay within L2 for 64 channels.
constexpr int kBlockTiles = 64;
constexpr int kPositions = 16;

struct Tiling {
  int tiles_h = 0, tiles_w = 0, rows_per_block = 0;
  explicit Tiling(const ConvGeom& g)
      : tiles_h(g.h / 2), tiles_w(g.w / 2),
        rows_per_block(std::clamp(kBlockTiles / std::max(1, g.w / 2), 1, g.h / 2)) {}
  TileBlock block(int ty0) const {
    return {ty0, std::min(rows_per_block, tiles_h - ty0), tiles_w};
  }
  // Floats per channel of a transformed block: the groups of the largest block, plus one cache
  // line. Without it channels lie a multiple of 4 KiB apart, all in one set of the L1 cache, and
  // a product's k loop (one channel per step) evicts its own operands.
  size_t ch_stride() const { return size_t(block(0).groups()) * kWinogradGroup + 16; }
};

// Transformed kernels of an m x k product, packed for the register tiles position by position:
// kernel (r, kk) is at(r, kk) (9 values, row-major).
template <class Kernel>
void pack_transformed(int m, int k, const Kernel& at, float* full, float* packed) {
  for (int r = 0; r < m; ++r)
    for (int kk = 0; kk < k; ++kk) winograd_kernel(at(r, kk), full + (size_t(r) * k + kk) * 16);
  for (int p = 0; p < kPositions; ++p)
    pack_panels(m, k, [&](int r, int kk) { return full[(size_t(r) * k + kk) * 16 + p]; },
                packed + size_t(p) * m * k);
}

}  // namespace

bool CpuBackend::winograd_fits(const ConvGeom& g) {
  return g.k_h == 3 && g.k_w == 3 && g.stride == 1 && g.pad == 1 && g.h % 2 == 0 &&
         g.w % 2 == 0 && g.c_in >= kMinChannels && g.c_out >= kMinChannels;
}

void CpuBackend::winograd_product(const ConvGeom& g, int c_in, int c_out, const float* u,
                                  const float* x, const float* b, Act act, float* y) {
  const Tiling tl(g);
  const PaddedPlanes src{c_in, g.h, g.w, 1, 1};
  const size_t ch = tl.ch_stride();
  int32_t* off = tap_offsets(size_t(c_in));
  for (int c = 0; c < c_in; ++c) off[c] = int32_t(size_t(c) * ch);
  const size_t plane = size_t(g.h) * g.w;
  const int team = std::min(threads_, g.n);
  for (int t = 0; t < team; ++t) {
    WorkerScratch& s = scratch_[size_t(t)];
    s.source.reserve<float>(src.floats());
    s.wino_in.reserve<float>(size_t(c_in) * ch + kSourceSlack);
    s.wino_out.reserve<float>(size_t(c_out) * ch);
  }
  run_items(*pool_, threads_, size_t(g.n), [&](size_t i, int t) {
    WorkerScratch& s = scratch_[size_t(t)];
    float* xpad = s.source.as<float>();
    float* v = s.wino_in.as<float>();
    float* m = s.wino_out.as<float>();
    pad_planes(src, x + i * c_in * plane, xpad);
    for (int ty0 = 0; ty0 < tl.tiles_h; ty0 += tl.rows_per_block) {
      const TileBlock blk = tl.block(ty0);
      winograd_input(xpad, c_in, src.plane(), src.row(), blk, v, ch);
      // Position p: a grid of `groups` rows of 8 tiles, 128 floats apart, in and out.
      ShiftedProduct sp;
      sp.m = c_out, sp.k = c_in, sp.off = off, sp.oh = blk.groups(), sp.ow = 8;
      sp.src_row = kWinogradGroup, sp.dst_ch = ptrdiff_t(ch), sp.dst_row = kWinogradGroup;
      for (int p = 0; p < kPositions; ++p) {
        sp.a = u + size_t(p) * c_out * c_in;
        run_shifted(sp, v + p * 8, m + p * 8);
      }
      winograd_output(m, c_out, ch, blk, b, act, y + i * c_out * plane, g.w, plane);
    }
  });
}

void CpuBackend::winograd_forward(const ConvGeom& g, const float* x, const float* w,
                                  const float* b, Act act, float* y) {
  const size_t pairs = size_t(g.c_out) * g.c_in;
  float* full = packed_weights(2 * kPositions * pairs);
  float* u = full + kPositions * pairs;
  pack_transformed(g.c_out, g.c_in, [&](int o, int c) { return w + (size_t(o) * g.c_in + c) * 9; },
                   full, u);
  winograd_product(g, g.c_in, g.c_out, u, x, b, act, y);
}

void CpuBackend::winograd_backward_data(const ConvGeom& g, const float* dy, const float* w,
                                        float* dx) {
  const size_t pairs = size_t(g.c_out) * g.c_in;
  float* full = packed_weights(2 * kPositions * pairs + 9 * pairs);
  float* u = full + kPositions * pairs;
  float* flipped = u + kPositions * pairs;  // [c][o][3][3] = w[o][c][2 - ky][2 - kx]
  for (int c = 0; c < g.c_in; ++c)
    for (int o = 0; o < g.c_out; ++o)
      for (int t = 0; t < 9; ++t)
        flipped[(size_t(c) * g.c_out + o) * 9 + t] = w[(size_t(o) * g.c_in + c) * 9 + (8 - t)];
  pack_transformed(g.c_in, g.c_out,
                   [&](int c, int o) { return flipped + (size_t(c) * g.c_out + o) * 9; }, full, u);
  // Same spatial size in and out (pad 1): dy is the input of a c_out -> c_in product.
  winograd_product(g, g.c_out, g.c_in, u, dy, nullptr, Act::None, dx);
}

void CpuBackend::winograd_backward_filter(const ConvGeom& g, const float* x, const float* dy,
                                          float* dw, float* db) {
  const Tiling tl(g);
  const PaddedPlanes src{g.c_in, g.h, g.w, 1, 1};
  const size_t ch = tl.ch_stride();
  const int lanes = padded_lanes(g.c_in);
  const size_t plane = size_t(g.h) * g.w;
  const int chunks = std::min(g.n, kGradChunks);
  // A chunk's partial: kPositions x c_out x lanes (dU[pos][o][c]); its bias sums: c_out doubles.
  const size_t part = size_t(kPositions) * g.c_out * lanes;
  float* parts = chunk_grads_.reserve<float>(part * chunks);
  double* sums = chunk_sums_.reserve<double>(size_t(g.c_out) * chunks);
  int32_t* off = tap_offsets(size_t(g.c_out));
  for (int o = 0; o < g.c_out; ++o) off[o] = int32_t(size_t(o) * ch);
  const int team = std::min(threads_, chunks);
  for (int t = 0; t < team; ++t) {
    WorkerScratch& s = scratch_[size_t(t)];
    s.source.reserve<float>(src.floats());
    s.wino_in.reserve<float>(size_t(g.c_in) * ch);
    s.wino_out.reserve<float>(size_t(g.c_out) * ch);
    s.lanes.reserve<float>(size_t(lanes) * size_t(tl.block(0).groups()) * 8);
  }
  run_items(*pool_, threads_, size_t(chunks), [&](size_t c, int t) {
    WorkerScratch& s = scratch_[size_t(t)];
    float* xpad = s.source.as<float>();
    float* v = s.wino_in.as<float>();
    float* z = s.wino_out.as<float>();
    float* vt = s.lanes.as<float>();
    float* du = parts + c * part;
    double* csums = sums + c * size_t(g.c_out);
    std::fill(csums, csums + g.c_out, 0.0);
    const Range r = split(size_t(g.n), chunks, int(c));
    for (size_t i = r.begin; i < r.end; ++i) {
      const float* dyi = dy + i * g.c_out * plane;
      pad_planes(src, x + i * g.c_in * plane, xpad);
      for (int ty0 = 0; ty0 < tl.tiles_h; ty0 += tl.rows_per_block) {
        const TileBlock blk = tl.block(ty0);
        winograd_input(xpad, g.c_in, src.plane(), src.row(), blk, v, ch);
        winograd_grad(dyi, g.c_out, g.w, plane, blk, z, ch);
        GatherProduct gp;
        gp.k = g.c_out, gp.off = off, gp.oh = blk.groups(), gp.ow = 8;
        gp.src_row = kWinogradGroup;
        const bool first = i == r.begin && ty0 == 0;
        for (int p = 0; p < kPositions; ++p) {
          pack_position(v, g.c_in, ch, blk.groups(), kWinogradGroup, p, vt);
          run_gather(gp, z + p * 8, vt, lanes, du + size_t(p) * g.c_out * lanes, first);
        }
      }
      if (db)
        for (int o = 0; o < g.c_out; ++o) {
          const float* plane_o = dyi + o * plane;
          double sum = 0.0;
#pragma omp simd reduction(+ : sum)
          for (size_t j = 0; j < plane; ++j) sum += double(plane_o[j]);
          csums[o] += sum;
        }
    }
  });
  // dw[o][c] = G^T (sum over chunks, in chunk order, of dU[.][o][c]) G.
  sum_chunk_partials(parts, part, chunks);
  run_ranges(*pool_, elementwise_workers(part), size_t(g.c_out), [&](size_t begin, size_t end) {
    double du[kPositions];
    for (size_t o = begin; o < end; ++o)
      for (int c = 0; c < g.c_in; ++c) {
        for (int p = 0; p < kPositions; ++p)
          du[p] = double(parts[(size_t(p) * g.c_out + o) * lanes + size_t(c)]);
        winograd_kernel_grad(du, dw + (o * g.c_in + size_t(c)) * 9);
      }
  });
  if (db)
    for (int o = 0; o < g.c_out; ++o) {
      double s = 0.0;
      for (int k = 0; k < chunks; ++k) s += sums[size_t(k) * g.c_out + o];
      db[o] = float(s);
    }
}

}  // namespace hep2::cpu
