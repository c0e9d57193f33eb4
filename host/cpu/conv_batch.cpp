// Batch drivers of the conv view: images are split into one contiguous range per worker, each
// worker runs the per-image kernels with its own column band, and weight gradients are summed
// from per-worker partials in worker order, so a given thread count always gives the same bits.
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

}  // namespace hep2::cpu
