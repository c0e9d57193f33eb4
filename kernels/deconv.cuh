// Transposed convolution ("deconvolution"): forward, backward-data and backward-filter, written by
// hand rather than through cuDNN. Host-side launchers, asynchronous on `stream`. Geometry and
// weight layout as ConvGeom documents: input n x c_in x h x w, weights c_in x c_out x k_h x k_w.
#pragma once
#include <cstddef>

#include <cuda_runtime_api.h>

#include "hep2/core/shape.h"

namespace hep2::kernels {

// y = act(conv_transpose(x, w) + b); b may be null; relu selects the activation.
void deconv2d_forward(cudaStream_t stream, const ConvGeom& g, const float* x, const float* w,
                      const float* b, bool relu, float* y);
// dx = conv(dy, w), the adjoint of the forward pass.
void deconv2d_backward_data(cudaStream_t stream, const ConvGeom& g, const float* dy, const float* w,
                            float* dx);
// Bytes of scratch deconv2d_backward_filter needs for geometry g (0 when it needs none).
size_t deconv2d_backward_filter_workspace(const ConvGeom& g);
// dw = sum over the batch of correlate(x, dy); `workspace` holds at least
// deconv2d_backward_filter_workspace(g) bytes. The bias gradient is a channel_sum of dy.
void deconv2d_backward_filter(cudaStream_t stream, const ConvGeom& g, const float* x,
                              const float* dy, float* dw, void* workspace);

}  // namespace hep2::kernels
