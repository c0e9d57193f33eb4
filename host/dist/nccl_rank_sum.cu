// The weighted sum in rank order on a GPU, for the NCCL gradient sum: every rank's gathered
// [values, batch] row in, the same formula as sum_in_rank_order (rank_sum.cpp) out, with explicit
// roundings (__fdiv_rn, __fmul_rn, __fadd_rn: no fused multiply-add), so the GPU's bits are the
// CPU's. One thread per value; each reads the ranks' batches itself (ranks are few).
#include <cuda_runtime.h>

#include <cstddef>

namespace hep2::dist {

__global__ void rank_sum_kernel(const float* gathered, int ranks, size_t width, float* values,
                                float* last) {
  const size_t n = width - 1;
  const size_t j = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= n) return;
  float total = 0.f;
  for (int r = 0; r < ranks; ++r) total = __fadd_rn(total, gathered[size_t(r) * width + n]);
  float acc = __fmul_rn(__fdiv_rn(gathered[n], total), gathered[j]);
  for (int r = 1; r < ranks; ++r) {
    const float* row = gathered + size_t(r) * width;
    acc = __fadd_rn(acc, __fmul_rn(__fdiv_rn(row[n], total), row[j]));
  }
  if (j + 1 < n)
    values[j] = acc;
  else
    *last = acc;  // the loss, kept beside the gradients in the gathered rows
}

// values: the first width - 2 sums (the gradients); last: the sum of the loss column.
cudaError_t launch_rank_sum(const float* gathered, int ranks, size_t width, float* values,
                            float* last, cudaStream_t stream) {
  const size_t n = width - 1;
  const unsigned threads = 256;
  const unsigned blocks = unsigned((n + threads - 1) / threads);
  rank_sum_kernel<<<blocks, threads, 0, stream>>>(gathered, ranks, width, values, last);
  return cudaGetLastError();
}

}  // namespace hep2::dist
