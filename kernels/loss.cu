// Loss kernels. Each scalar loss is a two-pass reduction: pass one writes one double per block
// into `partials` (each thread sums a fixed, grid-strided subset; the block adds them with CUB's
// block reduction, in a fixed order), pass two is a single block that adds the partials in a
// fixed order and writes the float.
// The split depends only on the problem size, so a loss has the same bits on every run.
#include "loss.cuh"

#include <cmath>

#include "cuda/check.h"
#include "hep2/core/math.cuh"
#include "launch.cuh"

namespace hep2::kernels {

namespace {

// Blocks of pass one: enough to stream the data, never more than there are partial slots.
unsigned partial_blocks(size_t items, size_t items_per_thread) {
  size_t blocks = (items + kThreads * items_per_thread - 1) / (kThreads * items_per_thread);
  if (blocks < 1) blocks = 1;
  return unsigned(blocks < size_t(kLossPartials) ? blocks : size_t(kLossPartials));
}

__global__ void finish_mean_kernel(const double* partials, int count, double divisor, float* out) {
  double acc = 0.0;
  for (int k = threadIdx.x; k < count; k += blockDim.x) acc += partials[k];
  double sum = block_sum(acc);
  if (threadIdx.x == 0) *out = float(sum / divisor);
}

__global__ void sigmoid_mse_kernel(size_t count, const float* z, const float* target, float* recon,
                                   float* dz, float inv_count, double* partials) {
  double acc = 0.0;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    float x = target[i];
    float s = math::sigmoid(z[i]);  // read z before recon/dz may overwrite it in place
    acc += math::sq_err(s, x);
    if (recon) recon[i] = s;
    if (dz) dz[i] = math::sigmoid_mse_grad(s, x, inv_count);
  }
  double sum = block_sum(acc);
  if (partials && threadIdx.x == 0) partials[blockIdx.x] = sum;
}

__global__ void sigmoid_bce_grad_kernel(size_t count, const float* s, const float* target,
                                        float* dz, float inv_count) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x)
    dz[i] = math::sigmoid_bce_grad(s[i], target[i], inv_count);
}

__global__ void sigmoid_mse_per_sample_kernel(size_t per_sample, const float* z,
                                              const float* target, float* out) {
  const size_t base = size_t(blockIdx.x) * per_sample;
  double acc = 0.0;
  for (size_t k = threadIdx.x; k < per_sample; k += blockDim.x)
    acc += math::sq_err(math::sigmoid(z[base + k]), target[base + k]);
  double sum = block_sum(acc);
  if (threadIdx.x == 0) out[blockIdx.x] = float(sum / double(per_sample));
}

// The max and the sum of exp(z - max) of one row; the sum in double, as the CPU backend keeps it.
__device__ void row_stats(const float* row, int classes, float& max_z, double& sum_exp) {
  float m = row[0];
  for (int j = 1; j < classes; ++j) m = row[j] > m ? row[j] : m;
  double s = 0.0;
  for (int j = 0; j < classes; ++j) s += double(expf(row[j] - m));
  max_z = m;
  sum_exp = s;
}

// One thread per row: the class counts of a classifier head are small.
__global__ void softmax_xent_kernel(int batch, int classes, const float* z, const int32_t* labels,
                                    float* probs, float* dz, float inv_batch, double* partials) {
  double acc = 0.0;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < batch; i += gridDim.x * blockDim.x) {
    const float* row = z + size_t(i) * classes;
    float max_z;
    double sum_exp;
    row_stats(row, classes, max_z, sum_exp);
    int label = labels[i];
    bool label_ok = label >= 0 && label < classes;
    acc += label_ok ? log(sum_exp) + double(max_z) - double(row[label]) : double(NAN);
    for (int j = 0; j < classes; ++j) {
      float p = float(double(expf(row[j] - max_z)) / sum_exp);
      if (probs) probs[size_t(i) * classes + j] = p;
      if (dz) dz[size_t(i) * classes + j] = math::softmax_xent_grad(p, j == label, inv_batch);
    }
  }
  double sum = block_sum(acc);
  if (partials && threadIdx.x == 0) partials[blockIdx.x] = sum;
}

__global__ void softmax_kernel(int batch, int classes, const float* z, float* probs) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < batch; i += gridDim.x * blockDim.x) {
    const float* row = z + size_t(i) * classes;
    float max_z;
    double sum_exp;
    row_stats(row, classes, max_z, sum_exp);
    for (int j = 0; j < classes; ++j)
      probs[size_t(i) * classes + j] = float(double(expf(row[j] - max_z)) / sum_exp);
  }
}

__global__ void argmax_rows_kernel(int batch, int classes, const float* z, int32_t* out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < batch; i += gridDim.x * blockDim.x) {
    const float* row = z + size_t(i) * classes;
    int best_at = 0;
    float best = row[0];
    for (int j = 1; j < classes; ++j)
      if (row[j] > best) {  // strict: ties keep the first index
        best = row[j];
        best_at = j;
      }
    out[i] = best_at;
  }
}

}  // namespace

void sigmoid_mse(cudaStream_t stream, size_t count, const float* z, const float* target,
                 float* recon, float* dz, float* loss, double* partials) {
  if (count == 0) return;
  unsigned blocks = partial_blocks(count, 8);
  float inv_count = float(1.0 / double(count));  // as the CPU backend rounds it
  launch("sigmoid_mse", blocks, kThreads, 0, stream, sigmoid_mse_kernel, count, z, target, recon,
         dz, inv_count, loss ? partials : nullptr);
  if (!loss) return;
  launch("sigmoid_mse (final sum)", 1, kThreads, 0, stream, finish_mean_kernel, partials,
         int(blocks), double(count), loss);
}

void sigmoid_bce_grad(cudaStream_t stream, size_t count, const float* s, const float* target,
                      float* dz) {
  if (count == 0) return;
  float inv_count = float(1.0 / double(count));  // as the CPU backend rounds it
  launch("sigmoid_bce_grad", partial_blocks(count, 8), kThreads, 0, stream, sigmoid_bce_grad_kernel,
         count, s, target, dz, inv_count);
}

void sigmoid_mse_per_sample(cudaStream_t stream, int batch, size_t per_sample, const float* z,
                            const float* target, float* out) {
  if (batch <= 0) return;
  launch("sigmoid_mse_per_sample", unsigned(batch), kThreads, 0, stream,
         sigmoid_mse_per_sample_kernel, per_sample, z, target, out);
}

void softmax_xent(cudaStream_t stream, int batch, int classes, const float* z,
                  const int32_t* labels, float* probs, float* dz, float* loss, double* partials) {
  if (batch <= 0 || classes <= 0) return;
  unsigned blocks = partial_blocks(size_t(batch), 1);
  float inv_batch = float(1.0 / double(batch));
  launch("softmax_xent", blocks, kThreads, 0, stream, softmax_xent_kernel, batch, classes, z,
         labels, probs, dz, inv_batch, loss ? partials : nullptr);
  if (!loss) return;
  launch("softmax_xent (final sum)", 1, kThreads, 0, stream, finish_mean_kernel, partials,
         int(blocks), double(batch), loss);
}

void softmax(cudaStream_t stream, int batch, int classes, const float* z, float* probs) {
  if (batch <= 0 || classes <= 0) return;
  launch("softmax", grid_for(size_t(batch)), kThreads, 0, stream, softmax_kernel, batch, classes, z,
         probs);
}

void argmax_rows(cudaStream_t stream, int batch, int classes, const float* z, int32_t* out) {
  if (batch <= 0 || classes <= 0) return;
  launch("argmax_rows", grid_for(size_t(batch)), kThreads, 0, stream, argmax_rows_kernel, batch,
         classes, z, out);
}

}  // namespace hep2::kernels
