// 2x2 stride-2 max pooling (with the argmax that routes its gradient) and nearest x2 up-sampling.
// Work is split over whole channel planes.
#include <cmath>
#include <cstring>

#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"
#include "hep2/core/error.h"

namespace hep2::cpu {
namespace {

void check_shape(const Shape4& in, const char* op, int min_side) {
  if (in.n <= 0 || in.c <= 0 || in.h < min_side || in.w < min_side)
    fail("cpu ", op, ": input ", in.str(), " is too small (need n, c >= 1 and h, w >= ", min_side,
         ")");
}

// Takes v when it beats the best so far. Ties keep the earlier element (row-major window order);
// a NaN wins, as in PyTorch, so a diverged activation shows up instead of being pooled away.
inline void consider(float v, int at, float& best, int& best_at) {
  if (v > best || (std::isnan(v) && !std::isnan(best))) {
    best = v;
    best_at = at;
  }
}

}  // namespace

void CpuBackend::maxpool2_forward(const Shape4& in, const float* x, float* y, int32_t* argmax) {
  check_shape(in, "maxpool2_forward", 2);
  const int oh = in.h / 2, ow = in.w / 2;
  const size_t planes = size_t(in.n) * in.c, in_plane = size_t(in.h) * in.w;
  const size_t out_plane = size_t(oh) * ow;
  const int workers = plane_workers(planes, in.count());
  run_workers(workers, [&](int t) {
    const Range r = split(planes, workers, t);
    for (size_t p = r.begin; p < r.end; ++p) {
      const float* xp = x + p * in_plane;
      float* yp = y + p * out_plane;
      int32_t* ap = argmax + p * out_plane;
      for (int oy = 0; oy < oh; ++oy) {
        const int top = 2 * oy * in.w, bottom = top + in.w;
        for (int ox = 0; ox < ow; ++ox) {
          const int left = 2 * ox;
          float best = xp[top + left];
          int best_at = top + left;
          consider(xp[top + left + 1], top + left + 1, best, best_at);
          consider(xp[bottom + left], bottom + left, best, best_at);
          consider(xp[bottom + left + 1], bottom + left + 1, best, best_at);
          yp[oy * ow + ox] = best;
          ap[oy * ow + ox] = best_at;
        }
      }
    }
  });
}

void CpuBackend::maxpool2_backward(const Shape4& in, const float* dy, const int32_t* argmax,
                                   float* dx) {
  check_shape(in, "maxpool2_backward", 2);
  const size_t planes = size_t(in.n) * in.c, in_plane = size_t(in.h) * in.w;
  const size_t out_plane = size_t(in.h / 2) * size_t(in.w / 2);
  const int workers = plane_workers(planes, in.count());
  run_workers(workers, [&](int t) {
    const Range r = split(planes, workers, t);
    for (size_t p = r.begin; p < r.end; ++p) {
      float* dxp = dx + p * in_plane;
      const float* dyp = dy + p * out_plane;
      const int32_t* ap = argmax + p * out_plane;
      std::memset(dxp, 0, sizeof(float) * in_plane);
      for (size_t o = 0; o < out_plane; ++o) dxp[ap[o]] += dyp[o];
    }
  });
}

void CpuBackend::upsample2_forward(const Shape4& in, const float* x, float* y) {
  check_shape(in, "upsample2_forward", 1);
  const size_t planes = size_t(in.n) * in.c, in_plane = size_t(in.h) * in.w;
  const int ow = 2 * in.w;
  const int workers = plane_workers(planes, 4 * in.count());
  run_workers(workers, [&](int t) {
    const Range r = split(planes, workers, t);
    for (size_t p = r.begin; p < r.end; ++p) {
      const float* xp = x + p * in_plane;
      float* yp = y + p * 4 * in_plane;
      for (int iy = 0; iy < in.h; ++iy) {
        float* row0 = yp + size_t(2 * iy) * ow;
        for (int ix = 0; ix < in.w; ++ix) row0[2 * ix] = row0[2 * ix + 1] = xp[iy * in.w + ix];
        std::memcpy(row0 + ow, row0, sizeof(float) * size_t(ow));
      }
    }
  });
}

void CpuBackend::upsample2_backward(const Shape4& in, const float* dy, float* dx) {
  check_shape(in, "upsample2_backward", 1);
  const size_t planes = size_t(in.n) * in.c, in_plane = size_t(in.h) * in.w;
  const int ow = 2 * in.w;
  const int workers = plane_workers(planes, 4 * in.count());
  run_workers(workers, [&](int t) {
    const Range r = split(planes, workers, t);
    for (size_t p = r.begin; p < r.end; ++p) {
      const float* dyp = dy + p * 4 * in_plane;
      float* dxp = dx + p * in_plane;
      for (int iy = 0; iy < in.h; ++iy) {
        const float* r0 = dyp + size_t(2 * iy) * ow;
        const float* r1 = r0 + ow;
        for (int ix = 0; ix < in.w; ++ix)
          dxp[iy * in.w + ix] = (r0[2 * ix] + r0[2 * ix + 1]) + (r1[2 * ix] + r1[2 * ix + 1]);
      }
    }
  });
}

}  // namespace hep2::cpu
