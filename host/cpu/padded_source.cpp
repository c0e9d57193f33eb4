// Zero-bordered copies and phase splits of one image (see padded_source.h).
#include "cpu/padded_source.h"

#include <algorithm>
#include <cstring>

#include "cpu/shifted_gemm.h"
#include "cpu/tile_kernels.h"

namespace hep2::cpu {

size_t PaddedPlanes::floats() const { return size_t(planes) * plane() + kSourceSlack; }

void pad_planes(const PaddedPlanes& p, const float* src, float* dst) {
  const size_t band = size_t(p.pad_h) * p.row();
  for (int c = 0; c < p.planes; ++c) {
    float* out = dst + size_t(c) * p.plane();
    const float* in = src + size_t(c) * p.h * p.w;
    std::memset(out, 0, sizeof(float) * band);
    out += band;
    for (int y = 0; y < p.h; ++y, out += p.row(), in += p.w) {
      std::fill(out, out + p.pad_w, 0.f);
      std::memcpy(out + p.pad_w, in, sizeof(float) * size_t(p.w));
      std::fill(out + p.pad_w + p.w, out + p.row(), 0.f);
    }
    std::memset(out, 0, sizeof(float) * band);
  }
  std::fill(dst + size_t(p.planes) * p.plane(), dst + p.floats(), 0.f);
}

size_t PhaseSplit::floats() const { return 4 * phase_stride() + kSourceSlack; }

PhaseSplit phase_split_of(int planes, int h, int w) {
  PhaseSplit s;
  s.stack = {planes, h, w, 1, 1};
  return s;
}

void split_phases(const PhaseSplit& s, const float* g, float* dst, double* sums) {
  const PaddedPlanes& p = s.stack;
  const int gw = 2 * p.w;
  for (int c = 0; c < p.planes; ++c) {
    const float* gc = g + size_t(c) * 4 * p.h * p.w;
    for (int a = 0; a < 2; ++a) {
      float* even = dst + s.at(2 * a, c, 0, 0);
      float* odd = dst + s.at(2 * a + 1, c, 0, 0);
      std::memset(even, 0, sizeof(float) * size_t(p.row()));
      std::memset(odd, 0, sizeof(float) * size_t(p.row()));
      for (int i = 0; i < p.h; ++i) {
        const float* in = gc + size_t(2 * i + a) * gw;
        float* e = even + size_t(i + 1) * p.row();
        float* o = odd + size_t(i + 1) * p.row();
        e[0] = o[0] = 0.f;
        int j = 0;
#ifdef HEP2_CPU_AVX2
        for (; j + kLanes <= p.w; j += kLanes) {
          __m256 even_lanes, odd_lanes;
          deinterleave(in + 2 * j, even_lanes, odd_lanes);
          _mm256_storeu_ps(e + j + 1, even_lanes);
          _mm256_storeu_ps(o + j + 1, odd_lanes);
        }
#endif
        for (; j < p.w; ++j) {
          e[j + 1] = in[2 * j];
          o[j + 1] = in[2 * j + 1];
        }
        e[p.w + 1] = o[p.w + 1] = 0.f;
      }
      std::memset(even + size_t(p.h + 1) * p.row(), 0, sizeof(float) * size_t(p.row()));
      std::memset(odd + size_t(p.h + 1) * p.row(), 0, sizeof(float) * size_t(p.row()));
    }
    if (sums) {
      const size_t n = size_t(4) * p.h * p.w;
      double t = 0.0;
#pragma omp simd reduction(+ : t)
      for (size_t i = 0; i < n; ++i) t += double(gc[i]);
      sums[c] += t;
    }
  }
  std::fill(dst + 4 * s.phase_stride(), dst + s.floats(), 0.f);
}

}  // namespace hep2::cpu
