// Element-wise activations of the CPU backend; the formulas are those of core/math.cuh. Each
// element is read before it is written, so every op works in place.
#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace hep2::cpu {

void CpuBackend::relu_forward(size_t count, const float* x, float* y) {
  run_ranges(*pool_, elementwise_workers(count), count, [&](size_t begin, size_t end) {
#pragma omp simd
    for (size_t i = begin; i < end; ++i) y[i] = math::relu(x[i]);
  });
}

void CpuBackend::relu_backward(size_t count, const float* y, const float* dy, float* dx) {
  run_ranges(*pool_, elementwise_workers(count), count, [&](size_t begin, size_t end) {
#pragma omp simd
    for (size_t i = begin; i < end; ++i) dx[i] = math::relu_grad(y[i], dy[i]);
  });
}

void CpuBackend::sigmoid_forward(size_t count, const float* x, float* y) {
  run_ranges(*pool_, elementwise_workers(count), count, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) y[i] = math::sigmoid(x[i]);
  });
}

void CpuBackend::sigmoid_backward(size_t count, const float* y, const float* dy, float* dx) {
  run_ranges(*pool_, elementwise_workers(count), count, [&](size_t begin, size_t end) {
#pragma omp simd
    for (size_t i = begin; i < end; ++i) dx[i] = math::sigmoid_grad(y[i], dy[i]);
  });
}

}  // namespace hep2::cpu
