// The throwing halves of check.h and library_check.h, kept out of line so the macros stay small
// at every call site, and the HEP2_CUDA_SYNC debug switch.
#include "cuda/check.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cuda/library_check.h"
#include "hep2/core/error.h"

namespace hep2::cuda::detail {

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  fail(file, ":", line, ": CUDA call '", call, "' failed: ", cudaGetErrorName(status), " (",
       cudaGetErrorString(status), ")");
}

bool sync_checks_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("HEP2_CUDA_SYNC");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  return enabled;
}

namespace {
thread_local int capture_depth = 0;  // CaptureScope's count on this thread
}  // namespace

CaptureScope::CaptureScope() { ++capture_depth; }
CaptureScope::~CaptureScope() { --capture_depth; }
bool capturing() { return capture_depth > 0; }

void check_launch(const char* kernel, const char* file, int line) {
  cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess)
    fail(file, ":", line, ": launch of kernel '", kernel, "' failed: ", cudaGetErrorName(status),
         " (", cudaGetErrorString(status),
         "); an earlier kernel may have faulted: run under compute-sanitizer, or with "
         "HEP2_CUDA_SYNC=1, to find it");
  if (!sync_checks_enabled() || capturing()) return;
  status = cudaDeviceSynchronize();
  if (status != cudaSuccess)
    fail(file, ":", line, ": kernel '", kernel, "' failed while running: ",
         cudaGetErrorName(status), " (", cudaGetErrorString(status),
         ") (found by HEP2_CUDA_SYNC=1, which waits for every kernel)");
}

void sync_check(cudaStream_t stream, const char* what, const char* file, int line) {
  if (!sync_checks_enabled() || capturing()) return;
  cudaError_t status = cudaStreamSynchronize(stream);
  if (status == cudaSuccess) status = cudaGetLastError();
  if (status != cudaSuccess)
    fail(file, ":", line, ": ", what, " failed on the device: ", cudaGetErrorName(status), " (",
         cudaGetErrorString(status), ") (found by HEP2_CUDA_SYNC=1, which waits after every op)");
}

void report_release_error(cudaError_t status, const char* call, const char* what) noexcept {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clears it unless it is sticky
  std::fprintf(stderr, "hep2: warning: %s while releasing %s failed: %s (%s)%s\n", call, what,
               cudaGetErrorName(status), cudaGetErrorString(status),
               status == cudaErrorCudartUnloading
                   ? " (the CUDA runtime is shutting down)"
                   : "; an earlier kernel may have faulted (rerun with HEP2_CUDA_SYNC=1)");
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
