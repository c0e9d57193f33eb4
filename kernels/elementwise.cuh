// Element-wise kernels (fill, ReLU and sigmoid forward/backward): host-side launchers. Each one
// queues its work on `stream` and checks the launch; in-place use (output == input) is allowed.
#pragma once
#include <cstddef>

#include <cuda_runtime_api.h>

namespace hep2::kernels {

void fill(cudaStream_t stream, float* dst, size_t count, float value);
void relu_forward(cudaStream_t stream, size_t count, const float* x, float* y);
void relu_backward(cudaStream_t stream, size_t count, const float* y, const float* dy, float* dx);
void sigmoid_forward(cudaStream_t stream, size_t count, const float* x, float* y);
void sigmoid_backward(cudaStream_t stream, size_t count, const float* y, const float* dy,
                      float* dx);

}  // namespace hep2::kernels
