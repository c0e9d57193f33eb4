// Max pooling 2x2 / stride 2. The backward pass runs one thread per INPUT element and gathers its
// gradient from the one window it belongs to: windows never overlap, so no atomics are needed and
// every element of dx is written exactly once.
#include "pool.cuh"

#include "cuda/check.h"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

__global__ void maxpool2_forward_kernel(size_t count, int h, int w, int oh, int ow, const float* x,
                                        float* y, int32_t* argmax) {
  const size_t out_plane = size_t(oh) * ow;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    size_t plane_index = i / out_plane;
    int r = int(i % out_plane);
    int oy = r / ow, ox = r % ow;
    const float* base = x + plane_index * size_t(h) * w;
    int first = (2 * oy) * w + 2 * ox;
    // Row-major window order; strict '>' keeps the first of equal values. A NaN wins (as in
    // PyTorch and the CPU backend), so a diverged activation shows instead of being pooled away.
    const int candidates[4] = {first, first + 1, first + w, first + w + 1};
    int best_at = first;
    float best = base[first];
#pragma unroll
    for (int k = 1; k < 4; ++k) {
      float v = base[candidates[k]];
      if (v > best || (isnan(v) && !isnan(best))) {
        best = v;
        best_at = candidates[k];
      }
    }
    y[i] = best;
    if (argmax) argmax[i] = best_at;
  }
}

__global__ void maxpool2_backward_kernel(size_t count, int h, int w, int oh, int ow,
                                         const float* dy, const int32_t* argmax, float* dx) {
  const size_t in_plane = size_t(h) * w;
  for (size_t j = blockIdx.x * size_t(blockDim.x) + threadIdx.x; j < count;
       j += size_t(gridDim.x) * blockDim.x) {
    size_t plane_index = j / in_plane;
    int r = int(j % in_plane);
    int oy = (r / w) / 2, ox = (r % w) / 2;
    float g = 0.f;
    if (oy < oh && ox < ow) {  // rows/columns dropped by the floor receive nothing
      size_t o = plane_index * size_t(oh) * ow + size_t(oy) * ow + ox;
      if (argmax[o] == r) g = dy[o];
    }
    dx[j] = g;
  }
}

}  // namespace

void maxpool2_forward(cudaStream_t stream, const Shape4& in, const float* x, float* y,
                      int32_t* argmax) {
  int oh = in.h / 2, ow = in.w / 2;
  size_t count = size_t(in.n) * in.c * oh * ow;
  if (count == 0) return;
  launch("maxpool2_forward", grid_for(count), kThreads, 0, stream, maxpool2_forward_kernel, count,
         in.h, in.w, oh, ow, x, y, argmax);
}

void maxpool2_backward(cudaStream_t stream, const Shape4& in, const float* dy,
                       const int32_t* argmax, float* dx) {
  size_t count = in.count();
  if (count == 0) return;
  launch("maxpool2_backward", grid_for(count), kThreads, 0, stream, maxpool2_backward_kernel, count,
         in.h, in.w, in.h / 2, in.w / 2, dy, argmax, dx);
}

}  // namespace hep2::kernels
