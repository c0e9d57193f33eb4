// Dense-layer GEMMs on cuBLAS. The mapping: a row-major r x c matrix M with leading dimension c
// is, read column-major, the c x r matrix M^T. So with column-major names:
//   y^T (out x batch)  = W (out x in) . x^T (in x batch):  A = W buffer (in x out, lda in) op T,
//                                                          B = x buffer (in x batch, ldb in) op N
//   dx^T (in x batch)  = W^T (in x out) . dy^T (out x batch): A = W buffer op N, B = dy op N
//   dW^T (in x out)    = x^T (in x batch) . dy (batch x out): A = x buffer op N, B = dy op T
#include "cuda/cublas_dense.h"

#include "cuda/library_check.h"

namespace hep2::cuda {

namespace {
const float kOne = 1.f, kZero = 0.f;
}

void gemm_dense_forward(cublasHandle_t handle, int batch, int in, int out, const float* x,
                        const float* w, float* y) {
  HEP2_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, out, batch, in, &kOne, w, in, x,
                                in, &kZero, y, out));
}

void gemm_dense_backward_data(cublasHandle_t handle, int batch, int in, int out, const float* dy,
                              const float* w, float* dx) {
  HEP2_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, in, batch, out, &kOne, w, in, dy,
                                out, &kZero, dx, in));
}

void gemm_dense_backward_weights(cublasHandle_t handle, int batch, int in, int out, const float* x,
                                 const float* dy, float* dw) {
  HEP2_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_T, in, out, batch, &kOne, x, in, dy,
                                out, &kZero, dw, in));
}

}  // namespace hep2::cuda
