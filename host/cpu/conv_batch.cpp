// Batch drivers of the conv view and of the shifted GEMM's weight gradients: images are split into
// one contiguous range per worker, each worker runs the per-image kernels with its own scratch,
// and weight gradients are summed from per-worker partials in worker order, so a given thread
// count always gives the same bits.
#include <algorithm>
#include <cstring>

#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace hep2::cpu {

void CpuBackend::batch_view_forward(const ConvView& v, int n, const float* w, const float* x,
                                    const float* b, Act act, float* y) {
  const int workers = batch_workers(n);
  reserve_scratch(workers, v.col_floats(), 0, 0);
  run_workers(workers, [&](int t) {
    const Range r = split(size_t(n), workers, t);
    for (size_t i = r.begin; i < r.end; ++i)
      view_forward(v, w, x + i * v.in_size(), b, act, col_scratch(t), y + i * v.out_size());
  });
}

void CpuBackend::batch_view_adjoint(const ConvView& v, int n, const float* w, const float* y,
                                    const float* b, Act act, float* x) {
  const int workers = batch_workers(n);
  reserve_scratch(workers, v.col_floats(), 0, 0);
  run_workers(workers, [&](int t) {
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
  run_workers(workers, [&](int t) {
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
    run_workers(reducers, [&](int t) {
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
constexpr int kMinLaneChannels = 8;
}  // namespace

void CpuBackend::batch_gather_grad(int n, const GatherProduct& gp, int channels,
                                   size_t source_floats, bool sums_from_lanes, int bias_channels,
                                   const std::function<const float*(int, size_t)>& prepare,
                                   float* dw, float* db) {
  const bool dot = channels < kMinLaneChannels;
  const int lanes = padded_lanes(channels);
  const size_t pixels = size_t(gp.oh) * gp.ow;
  const int workers = batch_workers(n);
  for (int t = 0; t < workers; ++t) {
    WorkerScratch& s = scratch_[size_t(t)];
    s.source.reserve<float>(source_floats);
    s.lanes.reserve<float>(dot ? 0 : size_t(lanes) * pixels);
    if (dot)
      s.grad.reserve<double>(size_t(gp.k) * channels);
    else
      s.grad.reserve<float>(size_t(gp.k) * lanes);
    s.sums.reserve<double>(size_t(bias_channels));
  }
  run_workers(workers, [&](int t) {
    const Range r = split(size_t(n), workers, t);
    double* sums = sum_scratch(t);
    std::fill(sums, sums + bias_channels, 0.0);
    if (dot) std::fill(scratch_[size_t(t)].grad.as<double>(),
                       scratch_[size_t(t)].grad.as<double>() + size_t(gp.k) * channels, 0.0);
    for (size_t i = r.begin; i < r.end; ++i) {
      const float* lane_src = prepare(t, i);
      const bool lane_sums = db && sums_from_lanes;
      if (dot) {
        run_dot(gp, source_scratch(t), lane_src, ptrdiff_t(pixels), channels,
                scratch_[size_t(t)].grad.as<double>());
        if (lane_sums)
          for (int c = 0; c < channels; ++c) {
            const float* plane = lane_src + size_t(c) * pixels;
            double s = 0.0;
#pragma omp simd reduction(+ : s)
            for (size_t j = 0; j < pixels; ++j) s += double(plane[j]);
            sums[c] += s;
          }
      } else {
        pack_lanes(channels, int(pixels), lane_src, ptrdiff_t(pixels), lanes_scratch(t),
                   lane_sums ? sums : nullptr);
        run_gather(gp, source_scratch(t), lanes_scratch(t), lanes, grad_scratch(t), i == r.begin);
      }
    }
  });
  // dw[j][k] = sum over workers, in worker order, of G[k][j].
  const size_t count = size_t(channels) * gp.k;
  run_ranges(elementwise_workers(count), size_t(channels), [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j)
      for (int k = 0; k < gp.k; ++k) {
        if (dot) {
          double s = 0.0;
          for (int t = 0; t < workers; ++t)
            s += scratch_[size_t(t)].grad.as<double>()[size_t(k) * channels + j];
          dw[j * gp.k + size_t(k)] = float(s);
        } else {
          float s = grad_scratch(0)[size_t(k) * lanes + j];
          for (int t = 1; t < workers; ++t) s += grad_scratch(t)[size_t(k) * lanes + j];
          dw[j * gp.k + size_t(k)] = s;
        }
      }
  });
  if (db)
    for (int c = 0; c < bias_channels; ++c) {
      double s = 0.0;
      for (int t = 0; t < workers; ++t) s += sum_scratch(t)[c];
      db[c] = float(s);
    }
}

}  // namespace hep2::cpu
