// The decoder's 4x4 stride-2 pad-1 transposed convolution with 16+ channels in and out, by
// Winograd's F(2x2, 2x2) (winograd_2x2.h) on its output phases (deconv_phases.cpp has the phase
// algebra): 9 multiplies per 2x2 tile of a phase instead of 16. Tiles are 2x2 blocks of the
// low-resolution grid (h x w, both even); each worker takes one image at a time in blocks of about
// 64 tiles, as conv_winograd.cpp does.
//   forward      phase (a, b) is a 2x2 correlation of the padded x whose patch for tile (ty, tx)
//                starts at padded (2 ty + a, 2 tx + b), kernel rows ky = kRow[a][s]; the four
//                phases' tiles are assembled into contiguous output rows.
//   backward dx  the sum over the four phases (p, q) of dy's split (deconv_phases.cpp) of 2x2
//                correlations, patch origin (2 ty + 1 - p, 2 tx + 1 - q), kernel rows
//                ky = kSplitRow[p][s]: one product per position with depth 4 c_out.
//   backward dw  dU[(p, q, o)][c] = sum over tiles of V(dy split) Z(x), dg = G^T dU G.
#include <algorithm>

#include "cpu/cpu_backend.h"
#include "cpu/padded_source.h"
#include "cpu/parallel.h"
#include "cpu/winograd_2x2.h"

namespace hep2::cpu {
namespace {

constexpr int kMinChannels = 16;  // as in conv_winograd.cpp
constexpr int kBlockTiles = 64;
// Forward: phase a's two kernel rows, by increasing input row (offsets -1, 0 for a = 0; 0, +1 for
// a = 1). Backward: dy phase p's two kernel rows, by increasing split row.
constexpr int kRow[2][2] = {{3, 1}, {2, 0}};
constexpr int kSplitRow[2][2] = {{1, 3}, {0, 2}};

struct Tiling {
  int tiles_h, tiles_w, rows_per_block;
  explicit Tiling(const ConvGeom& g)
      : tiles_h(g.h / 2), tiles_w(g.w / 2),
        rows_per_block(std::clamp(kBlockTiles / std::max(1, g.w / 2), 1, g.h / 2)) {}
  TileBlock block(int ty0) const { return {ty0, std::min(rows_per_block, tiles_h - ty0), tiles_w}; }
  // Floats per channel of a transformed block, plus one cache line (see conv_winograd.cpp).
  size_t ch_stride() const { return size_t(block(0).groups()) * kGroup2x2 + 16; }
};

// Packs the 9 positions of the transformed 2x2 kernels kernel(r, kk) of an m x k product.
template <class Kernel>
void pack_transformed(int m, int k, const Kernel& kernel, float* full, float* packed) {
  for (int r = 0; r < m; ++r)
    for (int kk = 0; kk < k; ++kk) {
      float g[4];
      kernel(r, kk, g);
      winograd2_kernel(g, full + (size_t(r) * k + kk) * kPositions2x2);
    }
  for (int p = 0; p < kPositions2x2; ++p)
    pack_panels(
        m, k, [&](int r, int kk) { return full[(size_t(r) * k + kk) * kPositions2x2 + p]; },
        packed + size_t(p) * m * k);
}

}  // namespace

bool CpuBackend::winograd_deconv_fits(const ConvGeom& g) {
  return phase_deconv_fits(g) && g.h % 2 == 0 && g.w % 2 == 0 && g.c_in >= kMinChannels &&
         g.c_out >= kMinChannels;
}

void CpuBackend::winograd_deconv_forward(const ConvGeom& g, const float* x, const float* w,
                                         const float* b, Act act, float* y) {
  const Tiling tl(g);
  const PaddedPlanes src{g.c_in, g.h, g.w, 1, 1};
  const size_t ch = tl.ch_stride();
  const size_t pairs = size_t(g.c_out) * g.c_in, per_phase = kPositions2x2 * pairs;
  float* full = packed_weights(2 * 4 * per_phase);
  float* u = full + 4 * per_phase;
  for (int ph = 0; ph < 4; ++ph) {
    const int pa = ph / 2, pb = ph % 2;
    pack_transformed(
        g.c_out, g.c_in,
        [&](int o, int c, float* k2) {
          for (int s = 0; s < 2; ++s)
            for (int v = 0; v < 2; ++v)
              k2[2 * s + v] = w[((size_t(c) * g.c_out + o) * 4 + kRow[pa][s]) * 4 + kRow[pb][v]];
        },
        full + ph * per_phase, u + ph * per_phase);
  }
  int32_t* off = tap_offsets(size_t(g.c_in));
  for (int c = 0; c < g.c_in; ++c) off[c] = int32_t(size_t(c) * ch);
  const size_t phase_stride = size_t(g.c_out) * ch;
  const size_t in_size = g.input().per_sample(), out_size = g.deconv_output().per_sample();
  const int team = std::min(threads_, g.n);
  for (int t = 0; t < team; ++t) {
    WorkerScratch& s = scratch_[size_t(t)];
    s.source.reserve<float>(src.floats());
    s.wino_in.reserve<float>(size_t(g.c_in) * ch + kSourceSlack);
    s.wino_out.reserve<float>(4 * phase_stride);
  }
  run_items(*pool_, threads_, size_t(g.n), [&](size_t i, int t) {
    WorkerScratch& s = scratch_[size_t(t)];
    float* xpad = s.source.as<float>();
    float* v = s.wino_in.as<float>();
    float* m = s.wino_out.as<float>();
    pad_planes(src, x + i * in_size, xpad);
    for (int ty0 = 0; ty0 < tl.tiles_h; ty0 += tl.rows_per_block) {
      const TileBlock blk = tl.block(ty0);
      ShiftedProduct sp;
      sp.m = g.c_out, sp.k = g.c_in, sp.off = off, sp.oh = blk.groups(), sp.ow = 8;
      sp.src_row = kGroup2x2, sp.dst_ch = ptrdiff_t(ch), sp.dst_row = kGroup2x2;
      for (int ph = 0; ph < 4; ++ph) {
        winograd2_input(xpad, g.c_in, src.plane(), src.row(), ph / 2, ph % 2, blk, v, ch);
        for (int p = 0; p < kPositions2x2; ++p) {
          sp.a = u + ph * per_phase + size_t(p) * pairs;
          run_shifted(sp, v + p * 8, m + ph * phase_stride + p * 8);
        }
      }
      winograd2_output_phases(m, phase_stride, g.c_out, ch, blk, b, act, y + i * out_size,
                              2 * g.w, 4 * size_t(g.h) * g.w);
    }
  });
}

// The transformed block of dy's phase split: channel (p q) c_out + o, patch origins 1 - p, 1 - q.
void CpuBackend::winograd_deconv_split_input(const ConvGeom& g, const PhaseSplit& sp,
                                             const float* split, const TileBlock& blk, float* v,
                                             size_t ch) {
  for (int ph = 0; ph < 4; ++ph)
    winograd2_input(split + ph * sp.phase_stride(), g.c_out, sp.stack.plane(), sp.stack.row(),
                    1 - ph / 2, 1 - ph % 2, blk, v + size_t(ph) * g.c_out * ch, ch);
}

void CpuBackend::winograd_deconv_backward_data(const ConvGeom& g, const float* dy, const float* w,
                                               float* dx) {
  const Tiling tl(g);
  const PhaseSplit sp = phase_split_of(g.c_out, g.h, g.w);
  const size_t ch = tl.ch_stride();
  const int k = 4 * g.c_out;  // (phase, o)
  const size_t per_pos = size_t(g.c_in) * k;
  float* full = packed_weights(2 * kPositions2x2 * per_pos);
  float* u = full + kPositions2x2 * per_pos;
  pack_transformed(
      g.c_in, k,
      [&](int c, int kk, float* k2) {
        const int ph = kk / g.c_out, o = kk % g.c_out, p = ph / 2, q = ph % 2;
        for (int s = 0; s < 2; ++s)
          for (int v = 0; v < 2; ++v)
            k2[2 * s + v] =
                w[((size_t(c) * g.c_out + o) * 4 + kSplitRow[p][s]) * 4 + kSplitRow[q][v]];
      },
      full, u);
  int32_t* off = tap_offsets(size_t(k));
  for (int kk = 0; kk < k; ++kk) off[kk] = int32_t(size_t(kk) * ch);
  const size_t in_size = g.input().per_sample(), out_size = g.deconv_output().per_sample();
  const int team = std::min(threads_, g.n);
  for (int t = 0; t < team; ++t) {
    WorkerScratch& s = scratch_[size_t(t)];
    s.source.reserve<float>(sp.floats());
    s.wino_in.reserve<float>(size_t(k) * ch + kSourceSlack);
    s.wino_out.reserve<float>(size_t(g.c_in) * ch);
  }
  run_items(*pool_, threads_, size_t(g.n), [&](size_t i, int t) {
    WorkerScratch& s = scratch_[size_t(t)];
    float* dysplit = s.source.as<float>();
    float* v = s.wino_in.as<float>();
    float* m = s.wino_out.as<float>();
    split_phases(sp, dy + i * out_size, dysplit, nullptr);
    for (int ty0 = 0; ty0 < tl.tiles_h; ty0 += tl.rows_per_block) {
      const TileBlock blk = tl.block(ty0);
      winograd_deconv_split_input(g, sp, dysplit, blk, v, ch);
      ShiftedProduct prod;
      prod.m = g.c_in, prod.k = k, prod.off = off, prod.oh = blk.groups(), prod.ow = 8;
      prod.src_row = kGroup2x2, prod.dst_ch = ptrdiff_t(ch), prod.dst_row = kGroup2x2;
      for (int p = 0; p < kPositions2x2; ++p) {
        prod.a = u + size_t(p) * per_pos;
        run_shifted(prod, v + p * 8, m + p * 8);
      }
      winograd2_output(m, g.c_in, ch, blk, dx + i * in_size, g.w, size_t(g.h) * g.w);
    }
  });
}

void CpuBackend::winograd_deconv_backward_filter(const ConvGeom& g, const float* x,
                                                 const float* dy, float* dw, float* db) {
  const Tiling tl(g);
  const PhaseSplit sp = phase_split_of(g.c_out, g.h, g.w);
  // The sums over tiles run over all images of a chunk, so small images (the first decoder layer
  // has 16 tiles) are stacked into one block: each product then walks enough tiles to pay for its
  // register tile's set-up.
  const int tiles_img = tl.tiles_h * tl.tiles_w;
  const int per_block = tiles_img % 8 == 0 && tiles_img <= kBlockTiles ? 2 * kBlockTiles / tiles_img
                                                                       : 0;
  const int groups = per_block ? per_block * tiles_img / 8 : tl.block(0).groups();
  const size_t ch = size_t(groups) * kGroup2x2 + 16;
  const int k = 4 * g.c_out;  // (phase, o)
  const int lanes = padded_lanes(g.c_in);
  const int chunks = std::min(g.n, kGradChunks);
  const size_t part = size_t(kPositions2x2) * k * lanes;  // dU[pos][(phase, o)][c] of a chunk
  float* parts = chunk_grads_.reserve<float>(part * chunks);
  double* sums = chunk_sums_.reserve<double>(size_t(g.c_out) * chunks);
  int32_t* off = tap_offsets(size_t(k));
  for (int kk = 0; kk < k; ++kk) off[kk] = int32_t(size_t(kk) * ch);
  const size_t in_size = g.input().per_sample(), out_size = g.deconv_output().per_sample();
  const size_t plane = size_t(g.h) * g.w;
  const int team = std::min(threads_, chunks);
  for (int t = 0; t < team; ++t) {
    WorkerScratch& s = scratch_[size_t(t)];
    s.source.reserve<float>(sp.floats());
    s.wino_in.reserve<float>(size_t(k) * ch);
    s.wino_out.reserve<float>(size_t(g.c_in) * ch);
    s.lanes.reserve<float>(size_t(lanes) * size_t(groups) * 8);
  }
  run_items(*pool_, threads_, size_t(chunks), [&](size_t c, int t) {
    WorkerScratch& s = scratch_[size_t(t)];
    float* dysplit = s.source.as<float>();
    float* v = s.wino_in.as<float>();
    float* z = s.wino_out.as<float>();
    float* vt = s.lanes.as<float>();
    float* du = parts + c * part;
    double* csums = sums + c * size_t(g.c_out);
    std::fill(csums, csums + g.c_out, 0.0);
    // dU (+)= the products over one transformed block of `block_groups` groups.
    auto accumulate = [&](int block_groups, bool first) {
      GatherProduct gp;
      gp.k = k, gp.off = off, gp.oh = block_groups, gp.ow = 8, gp.src_row = kGroup2x2;
      for (int p = 0; p < kPositions2x2; ++p) {
        pack_position(z, g.c_in, ch, block_groups, kGroup2x2, p, vt);
        run_gather(gp, v + p * 8, vt, lanes, du + size_t(p) * k * lanes, first);
      }
    };
    const Range r = split(size_t(g.n), chunks, int(c));
    if (per_block) {
      const TileBlock whole{0, tl.tiles_h, tl.tiles_w};
      for (size_t i0 = r.begin; i0 < r.end; i0 += size_t(per_block)) {
        const int count = int(std::min(r.end - i0, size_t(per_block)));
        for (int j = 0; j < count; ++j) {
          const size_t at = size_t(j) * (tiles_img / 8) * kGroup2x2;
          split_phases(sp, dy + (i0 + j) * out_size, dysplit, db ? csums : nullptr);
          winograd_deconv_split_input(g, sp, dysplit, whole, v + at, ch);
          winograd2_grad(x + (i0 + j) * in_size, g.c_in, g.w, plane, whole, z + at, ch);
        }
        accumulate(count * tiles_img / 8, i0 == r.begin);
      }
      return;
    }
    for (size_t i = r.begin; i < r.end; ++i) {
      split_phases(sp, dy + i * out_size, dysplit, db ? csums : nullptr);
      for (int ty0 = 0; ty0 < tl.tiles_h; ty0 += tl.rows_per_block) {
        const TileBlock blk = tl.block(ty0);
        winograd_deconv_split_input(g, sp, dysplit, blk, v, ch);
        winograd2_grad(x + i * in_size, g.c_in, g.w, plane, blk, z, ch);
        accumulate(blk.groups(), i == r.begin && ty0 == 0);
      }
    }
  });
  // dw[c][o][ky][kx] = (G^T dU[(phase, o)][c] G)[s][v], dU summed over chunks in chunk order.
  sum_chunk_partials(parts, part, chunks);
  run_ranges(*pool_, elementwise_workers(part), size_t(k), [&](size_t begin, size_t end) {
    double du[kPositions2x2];
    float dg[4];
    for (size_t kk = begin; kk < end; ++kk) {
      const int ph = int(kk) / g.c_out, o = int(kk) % g.c_out, p = ph / 2, q = ph % 2;
      for (int c = 0; c < g.c_in; ++c) {
        for (int pos = 0; pos < kPositions2x2; ++pos)
          du[pos] = double(parts[(size_t(pos) * k + kk) * lanes + size_t(c)]);
        winograd2_kernel_grad(du, dg);
        for (int s = 0; s < 2; ++s)
          for (int v = 0; v < 2; ++v)
            dw[((size_t(c) * g.c_out + o) * 4 + kSplitRow[p][s]) * 4 + kSplitRow[q][v]] =
                dg[2 * s + v];
      }
    }
  });
  if (db)
    for (int o = 0; o < g.c_out; ++o) {
      double s = 0.0;
      for (int n = 0; n < chunks; ++n) s += sums[size_t(n) * g.c_out + o];
      db[o] = float(s);
    }
}

}  // namespace hep2::cpu
