// Batch gather with augmentation. One thread per output element; the symmetry of each image comes
// from the shared counter-based hash and symmetry_source() of backend.h, so the CPU backend picks
// the same symmetry and the same source pixel. Indices are checked as the CPU backend checks them
// (not negative); a bad one is skipped and flagged (device_error.h).
#include "device_error.h"
#include "gather.cuh"
#include "hep2/backend/backend.h"
#include "hep2/core/rng.h"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

__global__ void gather_batch_kernel(size_t count, int c, int h, int w, const float* data,
                                    const int32_t* index, int batch, bool rotate_flip,
                                    int symmetry, uint64_t seed, uint64_t step, float* out,
                                    unsigned* error) {
  const size_t plane = size_t(h) * w;
  const size_t per_sample = size_t(c) * plane;
  for (size_t e = blockIdx.x * size_t(blockDim.x) + threadIdx.x; e < count;
       e += size_t(gridDim.x) * blockDim.x) {
    int i = int(e / per_sample);
    const int32_t source = index[i];
    if (source < 0) {
      *error = kGatherNegativeIndex;
      continue;
    }
    size_t r = e % per_sample;
    size_t channel = r / plane;
    int p = int(r % plane);
    int y = p / w, x = p % w;
    int sy = y, sx = x;
    if (rotate_flip) {
      int sym = symmetry >= 0 ? (symmetry & 7)
                              : int(hash_u32(seed, step * uint64_t(batch) + uint64_t(i)) & 7u);
      symmetry_source(sym, h, y, x, sy, sx);
    }
    out[e] = data[size_t(source) * per_sample + channel * plane + size_t(sy) * w + sx];
  }
}

__global__ void gather_labels_kernel(const int32_t* labels, const int32_t* index, int batch,
                                     int32_t* out, unsigned* error) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= batch) return;
  if (index[i] < 0) {
    *error = kLabelsNegativeIndex;
    return;
  }
  out[i] = labels[index[i]];
}

}  // namespace

void gather_batch(cudaStream_t stream, const Shape4& sample, const float* data,
                  const int32_t* index, int batch, bool rotate_flip, int symmetry, uint64_t seed,
                  uint64_t step, float* out, unsigned* error) {
  size_t count = size_t(batch) * sample.per_sample();
  if (count == 0) return;
  launch("gather_batch", grid_for(count), kThreads, 0, stream, gather_batch_kernel, count,
         sample.c, sample.h, sample.w, data, index, batch, rotate_flip, symmetry, seed, step, out,
         error);
}

void gather_labels(cudaStream_t stream, const int32_t* labels, const int32_t* index, int batch,
                   int32_t* out, unsigned* error) {
  if (batch <= 0) return;
  unsigned blocks = unsigned((batch + kThreads - 1) / kThreads);
  launch("gather_labels", blocks, kThreads, 0, stream, gather_labels_kernel, labels, index, batch,
         out, error);
}

}  // namespace hep2::kernels
