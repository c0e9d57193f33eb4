// Batch assembly from a resident dataset: gather samples by index, optionally applying one of the
// 8 symmetries of the square per image (chosen by a counter-based hash, as on the GPU), plus the
// label gather and the row-wise argmax of the classifier.
#include <cstring>

#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"
#include "hep2/core/error.h"
#include "hep2/core/rng.h"

namespace hep2::cpu {
namespace {

void check_index(const int32_t* index, int batch, const char* op) {
  if (batch <= 0) fail("cpu ", op, ": batch ", batch, " must be positive");
  for (int i = 0; i < batch; ++i)
    if (index[i] < 0) fail("cpu ", op, ": index ", index[i], " at position ", i, " is negative");
}

}  // namespace

void CpuBackend::gather_batch(const Shape4& sample, const float* data, const int32_t* index,
                              int batch, const AugmentSpec& aug, float* out) {
  check_index(index, batch, "gather_batch");
  if (sample.c <= 0 || sample.h <= 0 || sample.w <= 0)
    fail("cpu gather_batch: sample shape ", sample.str(), " is empty");
  if (aug.rotate_flip && sample.h != sample.w)
    fail("cpu gather_batch: rotations and flips need square samples, got ", sample.h, "x", sample.w,
         "; disable augmentation or resize the images to a square");
  const size_t per = sample.per_sample(), plane = size_t(sample.h) * sample.w;
  const int workers = std::min(batch_workers(batch), elementwise_workers(per * size_t(batch)));
  run_ranges(*pool_, workers, size_t(batch), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const float* src = data + size_t(index[i]) * per;
      float* dst = out + i * per;
      if (!aug.rotate_flip) {
        std::memcpy(dst, src, sizeof(float) * per);
        continue;
      }
      const int sym = aug.symmetry >= 0
                          ? (aug.symmetry & 7)
                          : int(hash_u32(aug.seed, aug.step * uint64_t(batch) + i) & 7u);
      const int s = sample.h;
      for (int c = 0; c < sample.c; ++c) {
        const float* sp = src + size_t(c) * plane;
        float* dp = dst + size_t(c) * plane;
        for (int y = 0; y < s; ++y)
          for (int x = 0; x < s; ++x) {
            int sy = 0, sx = 0;
            symmetry_source(sym, s, y, x, sy, sx);
            dp[y * s + x] = sp[sy * s + sx];
          }
      }
    }
  });
}

void CpuBackend::gather_labels(const int32_t* labels, const int32_t* index, int batch,
                               int32_t* out) {
  check_index(index, batch, "gather_labels");
  for (int i = 0; i < batch; ++i) out[i] = labels[index[i]];
}

void CpuBackend::argmax_rows(int batch, int classes, const float* z, int32_t* out) {
  if (batch <= 0 || classes <= 0)
    fail("cpu argmax_rows: batch ", batch, " x classes ", classes, " must both be positive");
  for (int i = 0; i < batch; ++i) {
    const float* row = z + size_t(i) * classes;
    int best = 0;
    for (int j = 1; j < classes; ++j)
      if (row[j] > row[best]) best = j;  // ties keep the first
    out[i] = best;
  }
}

}  // namespace hep2::cpu
