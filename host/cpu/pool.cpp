// 2x2 stride-2 max pooling (with the argmax that routes its gradient) and nearest x2 up-sampling.
// Images are handed out to the threads as they become free; each pair of input rows is done eight
// windows at a time in vector registers (the pool follows every encoder convolution, over its
// largest activation), with the same rules as the scalar window code that handles the remainder.
#include <cmath>
#include <cstring>

#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"
#include "cpu/tile_kernels.h"
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

// Windows [ox0, ox1) of output row oy of one plane (w input columns).
void pool_windows(const float* xp, int w, int oy, int ox0, int ox1, float* yrow, int32_t* arow) {
  const int top = 2 * oy * w, bottom = top + w;
  for (int ox = ox0; ox < ox1; ++ox) {
    const int left = 2 * ox;
    float best = xp[top + left];
    int best_at = top + left;
    consider(xp[top + left + 1], top + left + 1, best, best_at);
    consider(xp[bottom + left], bottom + left, best, best_at);
    consider(xp[bottom + left + 1], bottom + left + 1, best, best_at);
    yrow[ox] = best;
    arow[ox] = best_at;
  }
}

// The gradient of windows [ox0, ox1) of output row oy: each window's four inputs get dy or 0.
void unpool_windows(const float* dyrow, const int32_t* arow, int w, int oy, int ox0, int ox1,
                    float* dxp) {
  const int top = 2 * oy * w, bottom = top + w;
  for (int ox = ox0; ox < ox1; ++ox) {
    const int at[4] = {top + 2 * ox, top + 2 * ox + 1, bottom + 2 * ox, bottom + 2 * ox + 1};
    for (int i : at) dxp[i] = arow[ox] == i ? dyrow[ox] : 0.f;
  }
}

#ifdef HEP2_CPU_AVX2
inline void consider8(__m256 v, __m256i at, __m256& best, __m256i& best_at) {
  const __m256 nan_wins = _mm256_and_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q),
                                        _mm256_cmp_ps(best, best, _CMP_ORD_Q));
  const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), nan_wins);
  best = _mm256_blendv_ps(best, v, take);
  best_at = _mm256_castps_si256(
      _mm256_blendv_ps(_mm256_castsi256_ps(best_at), _mm256_castsi256_ps(at), take));
}

// Windows [0, full) of row oy in groups of 8; returns `full`.
int pool_windows8(const float* xp, int w, int ow, int oy, float* yrow, int32_t* arow) {
  const int full = ow / kLanes * kLanes;
  const int top = 2 * oy * w;
  const __m256i step = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i one = _mm256_set1_epi32(1), down = _mm256_set1_epi32(w);
  for (int ox = 0; ox < full; ox += kLanes) {
    __m256 tl, tr, bl, br;
    deinterleave(xp + top + 2 * ox, tl, tr);
    deinterleave(xp + top + w + 2 * ox, bl, br);
    const __m256i at = _mm256_add_epi32(_mm256_set1_epi32(top + 2 * ox), step);
    __m256 best = tl;
    __m256i best_at = at;
    consider8(tr, _mm256_add_epi32(at, one), best, best_at);
    consider8(bl, _mm256_add_epi32(at, down), best, best_at);
    consider8(br, _mm256_add_epi32(_mm256_add_epi32(at, down), one), best, best_at);
    _mm256_storeu_ps(yrow + ox, best);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(arow + ox), best_at);
  }
  return full;
}

int unpool_windows8(const float* dyrow, const int32_t* arow, int w, int ow, int oy, float* dxp) {
  const int full = ow / kLanes * kLanes;
  const int top = 2 * oy * w;
  const __m256i step = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i one = _mm256_set1_epi32(1), down = _mm256_set1_epi32(w);
  for (int ox = 0; ox < full; ox += kLanes) {
    const __m256 d = _mm256_loadu_ps(dyrow + ox);
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(arow + ox));
    const __m256i tl = _mm256_add_epi32(_mm256_set1_epi32(top + 2 * ox), step);
    const __m256i bl = _mm256_add_epi32(tl, down);
    auto routed = [&](__m256i at) {
      return _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a, at)), d);
    };
    interleave_store(routed(tl), routed(_mm256_add_epi32(tl, one)), dxp + top + 2 * ox);
    interleave_store(routed(bl), routed(_mm256_add_epi32(bl, one)), dxp + top + w + 2 * ox);
  }
  return full;
}
#endif

}  // namespace

void CpuBackend::maxpool2_forward(const Shape4& in, const float* x, float* y, int32_t* argmax) {
  check_shape(in, "maxpool2_forward", 2);
  const int oh = in.h / 2, ow = in.w / 2;
  const size_t planes = size_t(in.n) * in.c, in_plane = size_t(in.h) * in.w;
  const size_t out_plane = size_t(oh) * ow;
  run_items(*pool_, plane_workers(planes, in.count()), size_t(in.n), [&](size_t img, int) {
    for (size_t p = img * in.c; p < (img + 1) * in.c; ++p) {
      const float* xp = x + p * in_plane;
      for (int oy = 0; oy < oh; ++oy) {
        float* yrow = y + p * out_plane + size_t(oy) * ow;
        int32_t* arow = argmax + p * out_plane + size_t(oy) * ow;
        int done = 0;
#ifdef HEP2_CPU_AVX2
        done = pool_windows8(xp, in.w, ow, oy, yrow, arow);
#endif
        pool_windows(xp, in.w, oy, done, ow, yrow, arow);
      }
    }
  });
}

void CpuBackend::maxpool2_backward(const Shape4& in, const float* dy, const int32_t* argmax,
                                   float* dx) {
  check_shape(in, "maxpool2_backward", 2);
  const int oh = in.h / 2, ow = in.w / 2;
  const size_t planes = size_t(in.n) * in.c, in_plane = size_t(in.h) * in.w;
  const size_t out_plane = size_t(oh) * ow;
  run_items(*pool_, plane_workers(planes, in.count()), size_t(in.n), [&](size_t img, int) {
    for (size_t p = img * in.c; p < (img + 1) * in.c; ++p) {
      float* dxp = dx + p * in_plane;
      for (int oy = 0; oy < oh; ++oy) {
        const float* dyrow = dy + p * out_plane + size_t(oy) * ow;
        const int32_t* arow = argmax + p * out_plane + size_t(oy) * ow;
        int done = 0;
#ifdef HEP2_CPU_AVX2
        done = unpool_windows8(dyrow, arow, in.w, ow, oy, dxp);
#endif
        unpool_windows(dyrow, arow, in.w, oy, done, ow, dxp);
        if (in.w % 2) {  // the odd trailing column is in no window: its gradient is 0
          dxp[size_t(2 * oy) * in.w + in.w - 1] = 0.f;
          dxp[size_t(2 * oy + 1) * in.w + in.w - 1] = 0.f;
        }
      }
      if (in.h % 2)  // likewise the odd trailing row
        std::memset(dxp + size_t(in.h - 1) * in.w, 0, sizeof(float) * size_t(in.w));
    }
  });
}

void CpuBackend::upsample2_forward(const Shape4& in, const float* x, float* y) {
  check_shape(in, "upsample2_forward", 1);
  const size_t planes = size_t(in.n) * in.c, in_plane = size_t(in.h) * in.w;
  const int ow = 2 * in.w;
  run_items(*pool_, plane_workers(planes, 4 * in.count()), size_t(in.n), [&](size_t img, int) {
    for (size_t p = img * in.c; p < (img + 1) * in.c; ++p) {
      const float* xp = x + p * in_plane;
      float* yp = y + p * 4 * in_plane;
      for (int iy = 0; iy < in.h; ++iy) {
        float* row0 = yp + size_t(2 * iy) * ow;
        const float* xr = xp + size_t(iy) * in.w;
        int ix = 0;
#ifdef HEP2_CPU_AVX2
        for (; ix + kLanes <= in.w; ix += kLanes) {
          const __m256 v = _mm256_loadu_ps(xr + ix);
          interleave_store(v, v, row0 + 2 * ix);
        }
#endif
        for (; ix < in.w; ++ix) row0[2 * ix] = row0[2 * ix + 1] = xr[ix];
        std::memcpy(row0 + ow, row0, sizeof(float) * size_t(ow));
      }
    }
  });
}

void CpuBackend::upsample2_backward(const Shape4& in, const float* dy, float* dx) {
  check_shape(in, "upsample2_backward", 1);
  const size_t planes = size_t(in.n) * in.c, in_plane = size_t(in.h) * in.w;
  const int ow = 2 * in.w;
  run_items(*pool_, plane_workers(planes, 4 * in.count()), size_t(in.n), [&](size_t img, int) {
    for (size_t p = img * in.c; p < (img + 1) * in.c; ++p) {
      const float* dyp = dy + p * 4 * in_plane;
      float* dxp = dx + p * in_plane;
      for (int iy = 0; iy < in.h; ++iy) {
        const float* r0 = dyp + size_t(2 * iy) * ow;
        const float* r1 = r0 + ow;
        float* out = dxp + size_t(iy) * in.w;
        int ix = 0;
#ifdef HEP2_CPU_AVX2
        for (; ix + kLanes <= in.w; ix += kLanes) {
          __m256 e0, o0, e1, o1;
          deinterleave(r0 + 2 * ix, e0, o0);
          deinterleave(r1 + 2 * ix, e1, o1);
          _mm256_storeu_ps(out + ix, _mm256_add_ps(_mm256_add_ps(e0, o0), _mm256_add_ps(e1, o1)));
        }
#endif
        for (; ix < in.w; ++ix)
          out[ix] = (r0[2 * ix] + r0[2 * ix + 1]) + (r1[2 * ix] + r1[2 * ix + 1]);
      }
    }
  });
}

}  // namespace hep2::cpu
