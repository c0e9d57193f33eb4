// Nearest x2 up-sampling. Backward runs one thread per input element and sums its four
// gradients itself, so nothing is accumulated across threads; the sum is grouped by rows,
// (top-left + top-right) + (bottom-left + bottom-right), as the CPU backend groups it, so both
// give the same bits.
#include "upsample.cuh"

#include "cuda/check.h"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

__global__ void upsample2_forward_kernel(size_t count, int h, int w, const float* x, float* y) {
  const int oh = 2 * h, ow = 2 * w;
  const size_t out_plane = size_t(oh) * ow;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    size_t plane_index = i / out_plane;
    int r = int(i % out_plane);
    int oy = r / ow, ox = r % ow;
    y[i] = x[plane_index * size_t(h) * w + size_t(oy / 2) * w + ox / 2];
  }
}

__global__ void upsample2_backward_kernel(size_t count, int h, int w, const float* dy, float* dx) {
  const int ow = 2 * w;
  const size_t in_plane = size_t(h) * w;
  for (size_t j = blockIdx.x * size_t(blockDim.x) + threadIdx.x; j < count;
       j += size_t(gridDim.x) * blockDim.x) {
    size_t plane_index = j / in_plane;
    int r = int(j % in_plane);
    int iy = r / w, ix = r % w;
    const float* top = dy + plane_index * 4 * in_plane + size_t(2 * iy) * ow + 2 * ix;
    const float* bottom = top + ow;
    dx[j] = (top[0] + top[1]) + (bottom[0] + bottom[1]);
  }
}

}  // namespace

void upsample2_forward(cudaStream_t stream, const Shape4& in, const float* x, float* y) {
  size_t count = in.count() * 4;
  if (count == 0) return;
  launch("upsample2_forward", grid_for(count), kThreads, 0, stream, upsample2_forward_kernel, count,
         in.h, in.w, x, y);
}

void upsample2_backward(cudaStream_t stream, const Shape4& in, const float* dy, float* dx) {
  size_t count = in.count();
  if (count == 0) return;
  launch("upsample2_backward", grid_for(count), kThreads, 0, stream, upsample2_backward_kernel,
         count, in.h, in.w, dy, dx);
}

}  // namespace hep2::kernels
