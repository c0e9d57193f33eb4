// Bias and activation applied after a GEMM or a cuDNN convolution, and the bias gradients (sums of
// dy per channel or per column): host-side launchers, asynchronous on `stream`.
#pragma once
#include <cstddef>

#include <cuda_runtime_api.h>

namespace hep2::kernels {

// In place on y (n x channels x plane, NCHW with plane = h*w): y = act(y + bias[channel]).
// bias may be null; relu selects the activation (otherwise none).
void bias_act(cudaStream_t stream, float* y, const float* bias, bool relu, int n, int channels,
              size_t plane);

// out[c] = sum of dy[:, c, :] over the batch and the plane (convolution bias gradient), in two
// deterministic passes through `scratch`: device memory of channel_sum_scratch_bytes() bytes that
// nothing else uses until the call's work on `stream` is done.
size_t channel_sum_scratch_bytes(int n, int channels, size_t plane);
void channel_sum(cudaStream_t stream, const float* dy, int n, int channels, size_t plane,
                 float* out, void* scratch);

// out[j] = sum over rows of dy[row, j] for a row-major rows x cols matrix (dense bias gradient).
void column_sum(cudaStream_t stream, const float* dy, int rows, int cols, float* out);

}  // namespace hep2::kernels
