// Losses and the classifier head: fused sigmoid + MSE, softmax + cross-entropy, row-wise softmax
// and argmax. Host-side launchers, asynchronous on `stream`. Scalar losses are written to a device
// float; the reductions are deterministic (per-block partial sums in a fixed scratch buffer, then
// one block adds them in a fixed order).
#pragma once
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace hep2::kernels {

// The number of doubles a caller must provide as `partials` scratch to the reducing launchers.
constexpr int kLossPartials = 1024;

// s = sigmoid(z); recon = s and dz = d(mean (s - x)^2)/dz where not null; *loss = mean (s - x)^2
// where not null.
void sigmoid_mse(cudaStream_t stream, size_t count, const float* z, const float* target,
                 float* recon, float* dz, float* loss, double* partials);
// dz = (s - x) / count: the gradient of the mean binary cross-entropy of s = sigmoid(z).
void sigmoid_bce_grad(cudaStream_t stream, size_t count, const float* s, const float* target,
                      float* dz);
// out[i] = mean over the sample of (sigmoid(z) - x)^2, one block per sample.
void sigmoid_mse_per_sample(cudaStream_t stream, int batch, size_t per_sample, const float* z,
                            const float* target, float* out);
// Row-wise softmax + cross-entropy against int labels. probs, dz, loss may be null. A label out of
// [0, classes) makes its row's loss NaN (the GPU cannot throw; the NaN reaches the log).
void softmax_xent(cudaStream_t stream, int batch, int classes, const float* z,
                  const int32_t* labels, float* probs, float* dz, float* loss, double* partials);
void softmax(cudaStream_t stream, int batch, int classes, const float* z, float* probs);
// out[i] = the first j with the largest z[i, j].
void argmax_rows(cudaStream_t stream, int batch, int classes, const float* z, int32_t* out);

}  // namespace hep2::kernels
