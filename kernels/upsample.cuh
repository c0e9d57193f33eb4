// Nearest-neighbour x2 up-sampling, forward and backward: host-side launchers on `stream`.
#pragma once
#include <cuda_runtime_api.h>

#include "hep2/core/shape.h"

namespace hep2::kernels {

// y (n x c x 2h x 2w)[.., Y, X] = x[.., Y/2, X/2].
void upsample2_forward(cudaStream_t stream, const Shape4& in, const float* x, float* y);
// dx (n x c x h x w) = the sum of the 2x2 block of dy each input fed.
void upsample2_backward(cudaStream_t stream, const Shape4& in, const float* dy, float* dx);

}  // namespace hep2::kernels
