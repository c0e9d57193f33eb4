// Optimizer kernels: one thread per parameter applying the shared update of math.cuh, so the GPU
// and the CPU take the same step.
#include "optim.cuh"

#include "cuda/check.h"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

__global__ void adam_kernel(size_t count, float* w, const float* g, float* m, float* v,
                            math::AdamHyper h) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    float wi = w[i], mi = m[i], vi = v[i];
    math::adam_update(wi, g[i], mi, vi, h);
    w[i] = wi;
    m[i] = mi;
    v[i] = vi;
  }
}

__global__ void sgd_kernel(size_t count, float* w, const float* g, float* buf, math::SgdHyper h) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    float wi = w[i], bi = buf[i];
    math::sgd_update(wi, g[i], bi, h);
    w[i] = wi;
    buf[i] = bi;
  }
}

}  // namespace

void adam_step(cudaStream_t stream, size_t count, float* w, const float* g, float* m, float* v,
               const math::AdamHyper& h) {
  if (count == 0) return;
  launch("adam_step", grid_for(count), kThreads, 0, stream, adam_kernel, count, w, g, m, v, h);
}

void sgd_step(cudaStream_t stream, size_t count, float* w, const float* g, float* buf,
              const math::SgdHyper& h) {
  if (count == 0) return;
  launch("sgd_step", grid_for(count), kThreads, 0, stream, sgd_kernel, count, w, g, buf, h);
}

}  // namespace hep2::kernels
