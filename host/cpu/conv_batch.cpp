// Batch drivers of the conv view (images split into one contiguous range per worker, weight
// gradients summed from per-worker partials in worker order) and of the shifted GEMM's weight
// gradients (images cut into fixed chunks, each summed into its own partial, partials added in
// chunk order): a given thread count always gives the same bits.
#include <algorithm>
#include <cstring>

#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace hep2::cpu {

void CpuBackend::batch_view_forward(const ConvView& v, int n, const float* w, const float* x,
                                    const float* b, Act act, float* y) {
  const int workers = batch_workers(n);
  reserve_scratch(workers, v.col_floats(), 0, 0);
  run_workers(*pool_, workers, [&](int t) {
    const Range r = split(size_t(n), workers, t);
    for (size_t i = r.begin; i < r.end; ++i)
      view_forward(v, w, x + i * v.in_size(), b, act, col_scratch(t), y + i * v.out_size());
  });
}

void CpuBackend::batch_view_adjoint(const ConvView& v, int n, const float* w, const float* y,
                                    const float* b, Act act, float* x) {
  const int workers = batch_workers(n);
  reserve_scratch(workers, v.col_floats(), 0, 0);
  run_workers(*pool_, workers, [&](int t) {
    const Range r = split(size_t(n), workers, t);
    for (size_t i = r.begin; i < r.end; ++i) {
      float* xi = x + i * v.in_size();
      view_adjoint(v, w, y + i * v.out_size(), col_scratch(t), xi);
      bias_act(xi, v.col.c, v.col.in_plane(), v.col.in_plane(), b, act);
    }
  });
}

void CpuBackend::batch_view_weight_grad(const ConvView& v, int n, const float* x, const float* dy,
                                        float* dw, const float* bias_src, int bias_channels,
                                        size_t bias_plane, float* db) {
  const size_t wcount = size_t(v.oc) * v.col.rows();
  const int workers = batch_workers(n);
  // One worker writes dw directly; several each fill a private partial first.
  reserve_scratch(workers, v.col_floats(), workers > 1 ? wcount : 0,
                  db ? size_t(bias_channels) : 0);
  run_workers(*pool_, workers, [&](int t) {
    const Range r = split(size_t(n), workers, t);
    float* dw_part = workers > 1 ? grad_scratch(t) : dw;
    for (size_t i = r.begin; i < r.end; ++i)
      view_weight_grad(v, x + i * v.in_size(), dy + i * v.out_size(), col_scratch(t), dw_part,
                       i != r.begin);
    if (!db) return;
    double* sums = sum_scratch(t);
    for (int c = 0; c < bias_channels; ++c) {
      double s = 0.0;
      for (size_t i = r.begin; i < r.end; ++i) {
        const float* plane = bias_src + (i * size_t(bias_channels) + size_t(c)) * bias_plane;
        for (size_t j = 0; j < bias_plane; ++j) s += double(plane[j]);
      }
      sums[c] = s;
    }
  });
  if (workers > 1) {
    const int reducers = elementwise_workers(wcount);
    run_workers(*pool_, reducers, [&](int t) {
      const Range r = split(wcount, reducers, t);
      for (size_t j = r.begin; j < r.end; ++j) {
        float s = grad_scratch(0)[j];
        for (int p = 1; p < workers; ++p) s += grad_scratch(p)[j];
        dw[j] = s;
      }
    });
  }
  if (db)
    for (int c = 0; c < bias_channels; ++c) {
      double s = 0.0;
      for (int p = 0; p < workers; ++p) s += sum_scratch(p)[c];
      db[c] = float(s);
    }
}

namespace {
// Below this many channels run_gather's 16 lanes would be mostly padding: run_dot instead.
// (Measured: for the first layer, 9 taps x 32 channels, run_gather still wins over run_dot.)
constexpr int kMinLaneChannels = 8;
}  // namespace

void CpuBackend::sum_chunk_partials(float* parts, size_t part, int chunks) {
  run_ranges(*pool_, elementwise_workers(part * size_t(chunks)), part,
             [&](size_t begin, size_t end) {
               for (int c = 1; c < chunks; ++c) {
                 const float* src = parts + c * part;
#pragma omp simd
                 for (size_t j = begin; j < end; ++j) parts[j] += src[j];
               }
             });
}

void CpuBackend::reserve_sources(size_t items, size_t floats) {
  const size_t team = std::min(size_t(threads_), std::max<size_t>(items, 1));
  for (size_t t = 0; t < team; ++t) scratch_[t].source.reserve<float>(floats);
}

void CpuBackend::batch_gather_grad(int n, const GatherProduct& gp, int channels,
                                   size_t source_floats, bool sums_from_lanes, int bias_channels,
                                   const std::function<const float*(int, size_t, double*)>& prepare,
                                   float* dw, float* db) {
  const bool dot = channels < kMinLaneChannels;
  const int lanes = padded_lanes(channels);
  const size_t pixels = size_t(gp.oh) * gp.ow;
  const int chunks = std::min(n, kGradChunks);
  // One chunk's partial: k x lanes floats, or k x channels doubles on the run_dot path.
  const size_t part = dot ? size_t(gp.k) * channels : size_t(gp.k) * lanes;
  const size_t sums_per_chunk = size_t(bias_channels);
  float* parts = dot ? nullptr : chunk_grads_.reserve<float>(part * chunks);
  double* dparts = dot ? chunk_grads_.reserve<double>(part * chunks) : nullptr;
  double* sums = chunk_sums_.reserve<double>(sums_per_chunk * chunks);
  reserve_sources(size_t(chunks), source_floats);
  if (!dot)
    for (int t = 0; t < std::min(threads_, chunks); ++t)
      scratch_[size_t(t)].lanes.reserve<float>(size_t(lanes) * pixels);
  run_items(*pool_, threads_, size_t(chunks), [&](size_t c, int t) {
    const Range r = split(size_t(n), chunks, int(c));
    double* csums = db ? sums + c * sums_per_chunk : nullptr;
    if (csums) std::fill(csums, csums + sums_per_chunk, 0.0);
    if (dot) std::fill(dparts + c * part, dparts + (c + 1) * part, 0.0);
    for (size_t i = r.begin; i < r.end; ++i) {
      const float* lane_src = prepare(t, i, sums_from_lanes ? nullptr : csums);
      double* lane_sums = sums_from_lanes ? csums : nullptr;
      if (dot) {
        run_dot(gp, source_scratch(t), lane_src, ptrdiff_t(pixels), channels, dparts + c * part);
        if (lane_sums)
          for (int ch = 0; ch < channels; ++ch) {
            const float* plane = lane_src + size_t(ch) * pixels;
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (size_t j = 0; j < pixels; ++j) s += double(plane[j]);
            lane_sums[ch] += s;
          }
      } else {
        pack_lanes(channels, int(pixels), lane_src, ptrdiff_t(pixels), lanes_scratch(t),
                   lane_sums);
        run_gather(gp, source_scratch(t), lanes_scratch(t), lanes, parts + c * part,
                   i == r.begin);
      }
    }
  });
  // dw[j][k] = sum over chunks, in chunk order, of G[k][j].
  if (dot) {
    run_ranges(*pool_, elementwise_workers(part * size_t(chunks)), size_t(channels),
               [&](size_t begin, size_t end) {
                 for (size_t j = begin; j < end; ++j)
                   for (size_t k = 0; k < size_t(gp.k); ++k) {
                     double s = 0.0;
                     for (int c = 0; c < chunks; ++c) s += dparts[c * part + k * channels + j];
                     dw[j * gp.k + k] = float(s);
                   }
               });
  } else {
    sum_chunk_partials(parts, part, chunks);
    for (int k = 0; k < gp.k; ++k)
      for (int j = 0; j < channels; ++j) dw[size_t(j) * gp.k + k] = parts[size_t(k) * lanes + j];
  }
  if (db)
    for (int ch = 0; ch < bias_channels; ++ch) {
      double s = 0.0;
      for (int c = 0; c < chunks; ++c) s += sums[c * sums_per_chunk + size_t(ch)];
      db[ch] = float(s);
    }
}

}  // namespace hep2::cpu
