// Feature standardisation. The transform is a grid-stride loop over the shared formula of
// math.cuh. The statistics give each column one thread that adds its rows in the given order, in
// double, with explicitly rounded operations (no fused multiply-add): the same bits as the CPU
// backend, and no atomics. Neighbouring threads read neighbouring columns of a row, so a warp's
// loads are coalesced; thousands of columns (4096 or 8192 features) give thousands of threads,
// and the whole pass reads the features once. Row indices are checked as the CPU backend checks
// them (not negative); a bad one is skipped and flagged (device_error.h).
#include "device_error.h"
#include "hep2/core/math.cuh"
#include "launch.cuh"
#include "standardize.cuh"

namespace hep2::kernels {

namespace {

__global__ void standardize_kernel(size_t count, size_t cols, const float* x, const float* mean,
                                   const float* inv_std, float* y) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    size_t c = i % cols;
    y[i] = math::standardize(x[i], mean[c], inv_std[c]);
  }
}

// 64 threads a block: 8192 columns make 128 blocks, about one per SM of a large GPU.
constexpr int kColumnThreads = 64;

__global__ void column_sums_kernel(int cols, const float* x, const int32_t* rows, int count,
                                   double* sum, double* sum_sq, unsigned* error) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  double s = 0.0, q = 0.0;
  for (int k = 0; k < count; ++k) {
    const int32_t row = rows[k];
    if (row < 0) {
      *error = kColumnSumsNegativeRow;
      continue;
    }
    double v = x[size_t(row) * size_t(cols) + size_t(c)];
    s = __dadd_rn(s, v);
    q = __dadd_rn(q, __dmul_rn(v, v));
  }
  sum[c] = s;
  sum_sq[c] = q;
}

}  // namespace

void column_sums(cudaStream_t stream, int cols, const float* x, const int32_t* rows, int count,
                 double* sum, double* sum_sq, unsigned* error) {
  if (cols <= 0) return;
  unsigned blocks = unsigned((cols + kColumnThreads - 1) / kColumnThreads);
  launch("column_sums", blocks, kColumnThreads, 0, stream, column_sums_kernel, cols, x, rows,
         count, sum, sum_sq, error);
}

void standardize_columns(cudaStream_t stream, int rows, int cols, const float* x,
                         const float* mean, const float* inv_std, float* y) {
  size_t count = size_t(rows) * size_t(cols);
  if (count == 0) return;
  launch("standardize_columns", grid_for(count), kThreads, 0, stream, standardize_kernel, count,
         size_t(cols), x, mean, inv_std, y);
}

}  // namespace hep2::kernels
