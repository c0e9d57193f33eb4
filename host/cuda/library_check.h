// Checked calls into cuDNN and cuBLAS, the counterpart of check.h for the two libraries: a failing
// status becomes a hep2::Error with the file, the line, the call as written and the library's
// error text (for cuDNN also its last detailed message, which usually names the bad attribute).
#pragma once
#include <cublas_v2.h>
#include <cudnn.h>

namespace hep2::cuda::detail {
[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* call, const char* file,
                                    int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file,
                                     int line);
}  // namespace hep2::cuda::detail

#define HEP2_CUDNN_CHECK(call)                                                          \
  do {                                                                                  \
    cudnnStatus_t hep2_status_ = (call);                                                \
    if (hep2_status_ != CUDNN_STATUS_SUCCESS)                                           \
      ::hep2::cuda::detail::throw_cudnn_error(hep2_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define HEP2_CUBLAS_CHECK(call)                                                          \
  do {                                                                                   \
    cublasStatus_t hep2_status_ = (call);                                                \
    if (hep2_status_ != CUBLAS_STATUS_SUCCESS)                                           \
      ::hep2::cuda::detail::throw_cublas_error(hep2_status_, #call, __FILE__, __LINE__); \
  } while (0)
