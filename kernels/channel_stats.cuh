// Texture statistics of feature maps (per sample and channel: mean, max, standard deviation),
// added into feature rows with a weight; the host-side launcher of channel_stats.cu.
#pragma once
#include <cuda_runtime_api.h>

namespace hep2::kernels {

void channel_stats(cudaStream_t stream, int batch, int channels, int positions, const float* x,
                   float weight, float* out);

}  // namespace hep2::kernels
