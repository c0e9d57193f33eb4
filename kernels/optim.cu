// Optimizer kernels: one thread per parameter applying the shared update of math.cuh, so the GPU
// and the CPU take the same step; and the one-thread kernel that advances the step state.
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

// One thread: the step counter and what follows from it, where the updates read them.
__global__ void advance_step_kernel(math::StepState* step, math::StepSchedule schedule) {
  if (blockIdx.x == 0 && threadIdx.x == 0) math::advance_step(*step, schedule);
}

// As adam_kernel, with lr and the bias corrections of the StepState (one load per thread: every
// thread reads the same few bytes, served by the cache).
__global__ void adam_at_kernel(size_t count, float* w, const float* g, float* m, float* v,
                               math::AdamHyper base, const math::StepState* step) {
  const math::AdamHyper h = math::at_step(base, *step);
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    float wi = w[i], mi = m[i], vi = v[i];
    math::adam_update(wi, g[i], mi, vi, h);
    w[i] = wi;
    m[i] = mi;
    v[i] = vi;
  }
}

__global__ void sgd_at_kernel(size_t count, float* w, const float* g, float* buf,
                              math::SgdHyper base, const math::StepState* step) {
  const math::SgdHyper h = math::at_step(base, *step);
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

void advance_step(cudaStream_t stream, math::StepState* step, const math::StepSchedule& schedule) {
  launch("advance_step", 1, 1, 0, stream, advance_step_kernel, step, schedule);
}

void adam_step_at(cudaStream_t stream, size_t count, float* w, const float* g, float* m, float* v,
                  const math::AdamHyper& h, const math::StepState* step) {
  if (count == 0) return;
  launch("adam_step_at", grid_for(count), kThreads, 0, stream, adam_at_kernel, count, w, g, m, v,
         h, step);
}

void sgd_step_at(cudaStream_t stream, size_t count, float* w, const float* g, float* buf,
                 const math::SgdHyper& h, const math::StepState* step) {
  if (count == 0) return;
  launch("sgd_step_at", grid_for(count), kThreads, 0, stream, sgd_at_kernel, count, w, g, buf, h,
         step);
}

}  // namespace hep2::kernels
