// The throwing halves of check.h and library_check.h, kept out of line so the macros stay small
// at every call site.
#include "cuda/check.h"

#include <array>

#include "cuda/library_check.h"
#include "hep2/core/error.h"

namespace hep2::cuda::detail {

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  fail(file, ":", line, ": CUDA call '", call, "' failed: ", cudaGetErrorName(status), " (",
       cudaGetErrorString(status), ")");
}

void check_launch(const char* kernel, const char* file, int line) {
  cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess)
    fail(file, ":", line, ": launch of kernel '", kernel, "' failed: ", cudaGetErrorName(status),
         " (", cudaGetErrorString(status),
         "); an earlier kernel may have faulted: run under compute-sanitizer to find it");
}

void throw_cudnn_error(cudnnStatus_t status, const char* call, const char* file, int line) {
  std::array<char, 1024> detail{};
  cudnnGetLastErrorString(detail.data(), detail.size());
  detail.back() = '\0';
  fail(file, ":", line, ": cuDNN call '", call, "' failed: ", cudnnGetErrorString(status), " (",
       int(status), ")", detail[0] ? ": " : "", detail.data());
}

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  fail(file, ":", line, ": cuBLAS call '", call, "' failed: ", cublasGetStatusName(status), " (",
       cublasGetStatusString(status), ")");
}

}  // namespace hep2::cuda::detail
