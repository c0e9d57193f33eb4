// Drivers of the shifted GEMM (see shifted_gemm.h): walking an output grid in register tiles, the
// fused epilogue, the pixel-blocked weight-gradient walk, and the lane-blocked transpose.
#include "cpu/shifted_gemm.h"

#include <algorithm>
#include <cstring>

#include "cpu/tile_kernels.h"

namespace hep2::cpu {
namespace {

// ---- panels -------------------------------------------------------------------------------------
// m = 6 q + r. With 1 <= r <= 3 and q >= 1 the last 6 + r rows form two panels (ceil, floor).
int split_panels(int m, int& full, int& tail_a, int& tail_b) {
  full = m / kPanelRows;
  const int r = m % kPanelRows;
  tail_a = tail_b = 0;
  if (r == 0) return full;
  if (r >= 4 || full == 0) {
    tail_a = r;
    return full + 1;
  }
  --full;
  tail_a = (kPanelRows + r + 1) / 2;
  tail_b = kPanelRows + r - tail_a;
  return full + 2;
}

// ---- run_shifted -------------------------------------------------------------------------------
// One 8-lane run of output pixels: row y, first column x, `count` real lanes.
struct Run {
  int y = 0, x = 0, count = 0;
};

// Consecutive runs in row-major order; a run never crosses a row end.
class RunCursor {
 public:
  explicit RunCursor(int ow) : ow_(ow) {}
  Run next() {
    Run r{y_, x_, std::min(kLanes, ow_ - x_)};
    x_ += kLanes;
    if (x_ >= ow_) {
      x_ = 0;
      ++y_;
    }
    return r;
  }
  int y() const { return y_; }

 private:
  int ow_, y_ = 0, x_ = 0;
};

template <int NV>
void tile_panel(const ShiftedProduct& s, const Panel& p, const float* const* base,
                TileOut<NV>& out) {
  const float* a = s.a + size_t(p.row0) * s.k;
  out.bias = s.bias ? s.bias + p.row0 : nullptr;
  switch (p.rows) {
    case 1: shifted_tile<1, NV>(s.k, a, s.off, base, out); break;
    case 2: shifted_tile<2, NV>(s.k, a, s.off, base, out); break;
    case 3: shifted_tile<3, NV>(s.k, a, s.off, base, out); break;
    case 4: shifted_tile<4, NV>(s.k, a, s.off, base, out); break;
    case 5: shifted_tile<5, NV>(s.k, a, s.off, base, out); break;
    default: shifted_tile<6, NV>(s.k, a, s.off, base, out); break;
  }
}

// NV runs per tile: the tile's NV x 8 lanes are NV runs of the grid in row-major order, so small
// images (8 pixels wide) still fill the tile. Runs past the grid's end read the first run again
// (valid memory) and store nothing.
template <int NV>
void walk(const ShiftedProduct& s, const float* src, float* dst) {
  RunCursor cursor(s.ow);
  const int panels = panel_count(s.m);
  TileOut<NV> out;
  out.dst_ch = s.dst_ch, out.dst_col = s.dst_col, out.relu = s.act == Act::Relu;
  while (cursor.y() < s.oh) {
    Run runs[NV];
    const float* base[NV];
    for (int v = 0; v < NV; ++v) {
      if (cursor.y() < s.oh) {
        runs[v] = cursor.next();
      } else {
        runs[v] = runs[0];
        runs[v].count = 0;
      }
      base[v] = src + runs[v].y * s.src_row + runs[v].x;
      out.count[v] = runs[v].count;
    }
    for (int i = 0; i < panels; ++i) {
      const Panel p = panel_at(s.m, i);
      for (int v = 0; v < NV; ++v)
        out.dst[v] = dst + p.row0 * s.dst_ch + runs[v].y * s.dst_row + runs[v].x * s.dst_col;
      tile_panel<NV>(s, p, base, out);
    }
  }
}

// ---- run_gather --------------------------------------------------------------------------------
// Pixels per block: the block's 16-lane slice of dt (4 KiB per 64 pixels) stays in L1 while every
// panel of taps passes over it.
constexpr int kGatherPixels = 256;

template <int MR>
void gather_panel(const GatherProduct& s, const Panel& p, const float* src, int y0, int rows,
                  const float* dt, float* g, int lanes, bool overwrite) {
  const float* row[MR];
  for (int r = 0; r < MR; ++r) row[r] = src + s.off[p.row0 + r] + y0 * s.src_row;
  gather_tile<MR>(row, rows, s.ow, s.src_row, dt, g + size_t(p.row0) * lanes, lanes, overwrite);
}

// ---- run_dot -----------------------------------------------------------------------------------
constexpr int kDotRows = 12;  // accumulators of a dot tile: 12 + the loaded pair fit 16 registers

template <int MR>
void dot_rows(const GatherProduct& s, int k0, const float* src, const float* d, double* out) {
  const float* row[MR];
  for (int r = 0; r < MR; ++r) row[r] = src + s.off[k0 + r];
  dot_tile<MR>(row, s.oh, s.ow, s.src_row, d, s.ow, out);
}

}  // namespace

int panel_count(int m) {
  int full, a, b;
  return split_panels(m, full, a, b);
}

Panel panel_at(int m, int i) {
  int full, a, b;
  split_panels(m, full, a, b);
  if (i < full) return {i * kPanelRows, kPanelRows};
  if (i == full) return {full * kPanelRows, a};
  return {full * kPanelRows + a, b};
}

void run_shifted(const ShiftedProduct& s, const float* src, float* dst) {
  if (s.m == 1)
    walk<8>(s, src, dst);  // one channel: eight runs per tile keep the FMA pipeline full
  else
    walk<2>(s, src, dst);
}

void run_gather(const GatherProduct& s, const float* src, const float* dt, int lanes, float* g,
                bool overwrite) {
  const int pixels = s.oh * s.ow;
  const int rows_per_block = std::max(1, kGatherPixels / std::max(1, s.ow));
  const int panels = panel_count(s.k);
  for (int y0 = 0; y0 < s.oh; y0 += rows_per_block) {
    const int rows = std::min(rows_per_block, s.oh - y0);
    const bool first = overwrite && y0 == 0;
    for (int b = 0; b < lanes / kWide; ++b) {
      const float* dtb = dt + (size_t(b) * pixels + size_t(y0) * s.ow) * kWide;
      float* gb = g + b * kWide;
      for (int i = 0; i < panels; ++i) {
        const Panel p = panel_at(s.k, i);
        switch (p.rows) {
          case 1: gather_panel<1>(s, p, src, y0, rows, dtb, gb, lanes, first); break;
          case 2: gather_panel<2>(s, p, src, y0, rows, dtb, gb, lanes, first); break;
          case 3: gather_panel<3>(s, p, src, y0, rows, dtb, gb, lanes, first); break;
          case 4: gather_panel<4>(s, p, src, y0, rows, dtb, gb, lanes, first); break;
          case 5: gather_panel<5>(s, p, src, y0, rows, dtb, gb, lanes, first); break;
          default: gather_panel<6>(s, p, src, y0, rows, dtb, gb, lanes, first); break;
        }
      }
    }
  }
}

void run_dot(const GatherProduct& s, const float* src, const float* d, ptrdiff_t d_ch,
             int channels, double* g) {
  for (int j = 0; j < channels; ++j) {
    const float* dj = d + j * d_ch;
    double tmp[kDotRows];
    for (int k0 = 0; k0 < s.k; k0 += kDotRows) {
      const int n = std::min(kDotRows, s.k - k0);
      std::fill(tmp, tmp + n, 0.0);
      switch (n) {
        case 1: dot_rows<1>(s, k0, src, dj, tmp); break;
        case 2: dot_rows<2>(s, k0, src, dj, tmp); break;
        case 3: dot_rows<3>(s, k0, src, dj, tmp); break;
        case 4: dot_rows<4>(s, k0, src, dj, tmp); break;
        case 5: dot_rows<5>(s, k0, src, dj, tmp); break;
        case 6: dot_rows<6>(s, k0, src, dj, tmp); break;
        case 7: dot_rows<7>(s, k0, src, dj, tmp); break;
        case 8: dot_rows<8>(s, k0, src, dj, tmp); break;
        case 9: dot_rows<9>(s, k0, src, dj, tmp); break;
        case 10: dot_rows<10>(s, k0, src, dj, tmp); break;
        case 11: dot_rows<11>(s, k0, src, dj, tmp); break;
        default: dot_rows<12>(s, k0, src, dj, tmp); break;
      }
      for (int r = 0; r < n; ++r) g[size_t(k0 + r) * channels + j] += tmp[r];
    }
  }
}

void pack_lanes(int channels, int pixels, const float* src, ptrdiff_t ch_stride, float* dt,
                double* sums) {
  const int blocks = padded_lanes(channels) / kWide;
  for (int b = 0; b < blocks; ++b) {
    float* out = dt + size_t(b) * pixels * kWide;
    for (int half = 0; half < 2; ++half) {
      const int c0 = b * kWide + half * kLanes;
      const int real = std::clamp(channels - c0, 0, kLanes);
      float* o = out + half * kLanes;
      if (real == kLanes) {
        const float* s = src + c0 * ch_stride;
        int p = 0;
        for (; p + kLanes <= pixels; p += kLanes) transpose8(s + p, ch_stride, o + p * kWide);
        for (; p < pixels; ++p)
          for (int l = 0; l < kLanes; ++l) o[p * kWide + l] = s[l * ch_stride + p];
      } else {
        for (int p = 0; p < pixels; ++p)
          for (int l = 0; l < kLanes; ++l)
            o[p * kWide + l] = l < real ? src[(c0 + l) * ch_stride + p] : 0.f;
      }
      if (!sums) continue;
      for (int l = 0; l < real; ++l) {
        const float* s = src + (c0 + l) * ch_stride;
        double t = 0.0;
#pragma omp simd reduction(+ : t)
        for (int p = 0; p < pixels; ++p) t += double(s[p]);
        sums[c0 + l] += t;
      }
    }
  }
}

}  // namespace hep2::cpu
