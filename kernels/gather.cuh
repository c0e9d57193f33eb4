// Batch assembly on the device: gather samples (and labels) of a resident dataset by index, with
// the optional 8-symmetry augmentation. Host-side launchers, asynchronous on `stream`.
// A negative index (which the CPU backend refuses) is skipped and reported through `error`
// (device_error.h): the CUDA backend throws it at its next synchronisation.
#pragma once
#include <cstdint>

#include <cuda_runtime_api.h>

#include "hep2/core/shape.h"

namespace hep2::kernels {

// out[i] = data[index[i]] with each sample c x h x w; when rotate_flip, sample i is mapped through
// symmetry hash_u32(seed, step * batch + i) & 7 (requires h == w, checked by the caller).
void gather_batch(cudaStream_t stream, const Shape4& sample, const float* data,
                  const int32_t* index, int batch, bool rotate_flip, int symmetry, uint64_t seed,
                  uint64_t step, float* out, unsigned* error);
void gather_labels(cudaStream_t stream, const int32_t* labels, const int32_t* index, int batch,
                   int32_t* out, unsigned* error);

}  // namespace hep2::kernels
