// Texture statistics of feature maps (mean, max and standard deviation of every channel of every
// sample) on the CPU, added into a feature row with a weight so views of a cell can be averaged.
// Each (sample, channel) is reduced in position order, in double, two passes (mean, then squared
// deviations); this file is built with -ffp-contract=off so every rounding matches the CUDA
// kernel's explicitly rounded operations: both backends give the same bits.
#include <cmath>

#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace hep2::cpu {

void CpuBackend::channel_stats(int batch, int channels, int positions, const float* x,
                               float weight, float* out) {
  check_channel_stats(batch, channels, positions);
  const size_t c_count = size_t(channels), p_count = size_t(positions);
  run_items(*pool_, threads_, size_t(batch), [&](size_t n, int) {
    float* row = out + n * 3 * c_count;
    for (size_t c = 0; c < c_count; ++c) {
      const float* v = x + (n * c_count + c) * p_count;
      double sum = 0.0;
      float top = v[0];
      for (size_t p = 0; p < p_count; ++p) {
        sum += double(v[p]);
        top = v[p] > top ? v[p] : top;
      }
      const double mean = sum / double(positions);
      double sq = 0.0;
      for (size_t p = 0; p < p_count; ++p) {
        const double d = double(v[p]) - mean;
        sq += d * d;
      }
      const float sd = float(std::sqrt(sq / double(positions)));
      row[c] = row[c] + weight * float(mean);
      row[c_count + c] = row[c_count + c] + weight * top;
      row[2 * c_count + c] = row[2 * c_count + c] + weight * sd;
    }
  });
}

}  // namespace hep2::cpu
