// The three GEMMs of a dense layer (PyTorch Linear layout: x batch x in, W out x in, row-major)
// on cuBLAS, which is column-major: a row-major matrix is its column-major transpose, so each
// product is issued transposed (see cublas_dense.cpp for the mapping). Bias and activation are
// not here: an epilogue kernel applies them after the forward GEMM.
#pragma once
#include <cublas_v2.h>

namespace hep2::cuda {

// y (batch x out) = x W^T.
void gemm_dense_forward(cublasHandle_t handle, int batch, int in, int out, const float* x,
                        const float* w, float* y);
// dx (batch x in) = dy W.
void gemm_dense_backward_data(cublasHandle_t handle, int batch, int in, int out, const float* dy,
                              const float* w, float* dx);
// dW (out x in) = dy^T x.
void gemm_dense_backward_weights(cublasHandle_t handle, int batch, int in, int out, const float* x,
                                 const float* dy, float* dw);

}  // namespace hep2::cuda
