// 2x2 stride-2 max pooling, forward and backward: host-side launchers, asynchronous on `stream`.
// Odd trailing rows/columns are dropped (floor), as in the CPU backend and PyTorch.
#pragma once
#include <cstdint>

#include <cuda_runtime_api.h>

#include "hep2/core/shape.h"

namespace hep2::kernels {

// y and argmax are n x c x (h/2) x (w/2); argmax (may be null) is the flat index of the chosen
// input within its h*w plane, ties going to the first element in row-major window order.
void maxpool2_forward(cudaStream_t stream, const Shape4& in, const float* x, float* y,
                      int32_t* argmax);
// dx (n x c x h x w) is fully written: dy where the input was chosen, zero elsewhere.
void maxpool2_backward(cudaStream_t stream, const Shape4& in, const float* dy,
                       const int32_t* argmax, float* dx);

}  // namespace hep2::kernels
