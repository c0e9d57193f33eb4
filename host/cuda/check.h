// Checked calls into the CUDA runtime: every call and every kernel launch goes through these, so a
// failure surfaces as a hep2::Error naming the file, the line, the call as written and CUDA's own
// description, instead of a silent wrong result several ops later.
//
// Kernels run asynchronously, so a kernel that faults is normally reported by whatever call next
// synchronises, under that call's name. The debug switch HEP2_CUDA_SYNC=1 (environment) makes
// every launch check, and every op of the CUDA backend, synchronise and check at once, so the
// error names the kernel or op that faulted (slow: for finding a fault, not for training).
#pragma once
#include <cuda_runtime_api.h>

namespace hep2::cuda::detail {
[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file,
                                   int line);
// After a launch: reports a bad launch configuration at once, and any earlier asynchronous fault
// that is still pending on the device (those are sticky and would otherwise surface much later).
// Under HEP2_CUDA_SYNC=1 it also waits for the device and reports a fault of this kernel.
void check_launch(const char* kernel, const char* file, int line);

// HEP2_CUDA_SYNC set to anything but "" or "0" (read once per process).
bool sync_checks_enabled();
// Under HEP2_CUDA_SYNC=1: waits for `stream` and throws, naming `what`, if anything queued on it
// failed. Does nothing otherwise, or inside a CaptureScope.
void sync_check(cudaStream_t stream, const char* what, const char* file, int line);

// Held by whoever captures work of this thread into a CUDA graph: a capture cannot synchronise,
// so the HEP2_CUDA_SYNC checks keep still inside one.
class CaptureScope {
 public:
  CaptureScope();
  ~CaptureScope();
  CaptureScope(const CaptureScope&) = delete;
  CaptureScope& operator=(const CaptureScope&) = delete;
};
bool capturing();

// For destructors and free(), which must not throw: reports a failed release to stderr (naming
// `call` and `what`) and clears the error, so that the next launch check does not report it as
// its own. A sticky error (an earlier kernel faulted) cannot be cleared and stays for the next
// checked call to report.
void report_release_error(cudaError_t status, const char* call, const char* what) noexcept;
}  // namespace hep2::cuda::detail

#define HEP2_CUDA_CHECK(call)                                                          \
  do {                                                                                 \
    cudaError_t hep2_status_ = (call);                                                 \
    if (hep2_status_ != cudaSuccess)                                                   \
      ::hep2::cuda::detail::throw_cuda_error(hep2_status_, #call, __FILE__, __LINE__); \
  } while (0)

// Use right after every <<<...>>> launch; `kernel` names it in the error.
#define HEP2_LAUNCH_CHECK(kernel) ::hep2::cuda::detail::check_launch(kernel, __FILE__, __LINE__)
