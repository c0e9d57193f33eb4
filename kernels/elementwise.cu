// Element-wise kernels: one grid-stride loop each over the shared formulas of math.cuh, so the
// GPU applies exactly the functions the CPU backend applies.
#include "elementwise.cuh"

#include "cuda/check.h"
#include "hep2/core/math.cuh"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

__global__ void fill_kernel(float* dst, size_t count, float value) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x)
    dst[i] = value;
}

__global__ void relu_forward_kernel(size_t count, const float* x, float* y) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x)
    y[i] = math::relu(x[i]);
}

__global__ void relu_backward_kernel(size_t count, const float* y, const float* dy, float* dx) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x)
    dx[i] = math::relu_grad(y[i], dy[i]);
}

__global__ void sigmoid_forward_kernel(size_t count, const float* x, float* y) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x)
    y[i] = math::sigmoid(x[i]);
}

__global__ void sigmoid_backward_kernel(size_t count, const float* y, const float* dy, float* dx) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x)
    dx[i] = math::sigmoid_grad(y[i], dy[i]);
}

}  // namespace

// A grid of zero blocks is a launch error, so every launcher returns early on empty input.
void fill(cudaStream_t stream, float* dst, size_t count, float value) {
  if (count == 0) return;
  launch("fill", grid_for(count), kThreads, 0, stream, fill_kernel, dst, count, value);
}

void relu_forward(cudaStream_t stream, size_t count, const float* x, float* y) {
  if (count == 0) return;
  launch("relu_forward", grid_for(count), kThreads, 0, stream, relu_forward_kernel, count, x, y);
}

void relu_backward(cudaStream_t stream, size_t count, const float* y, const float* dy, float* dx) {
  if (count == 0) return;
  launch("relu_backward", grid_for(count), kThreads, 0, stream, relu_backward_kernel, count, y, dy,
         dx);
}

void sigmoid_forward(cudaStream_t stream, size_t count, const float* x, float* y) {
  if (count == 0) return;
  launch("sigmoid_forward", grid_for(count), kThreads, 0, stream, sigmoid_forward_kernel, count, x,
         y);
}

void sigmoid_backward(cudaStream_t stream, size_t count, const float* y, const float* dy,
                      float* dx) {
  if (count == 0) return;
  launch("sigmoid_backward", grid_for(count), kThreads, 0, stream, sigmoid_backward_kernel, count,
         y, dy, dx);
}

}  // namespace hep2::kernels
