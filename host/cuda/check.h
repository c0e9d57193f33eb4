// Checked calls into the CUDA runtime: every call and every kernel launch goes through these, so a
// failure surfaces as a hep2::Error naming the file, the line, the call as written and CUDA's own
// description, instead of a silent wrong result several ops later.
#pragma once
#include <cuda_runtime_api.h>

namespace hep2::cuda::detail {
[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file,
                                   int line);
// After a launch: reports a bad launch configuration at once, and any earlier asynchronous fault
// that is still pending on the device (those are sticky and would otherwise surface much later).
void check_launch(const char* kernel, const char* file, int line);
}  // namespace hep2::cuda::detail

#define HEP2_CUDA_CHECK(call)                                                          \
  do {                                                                                 \
    cudaError_t hep2_status_ = (call);                                                 \
    if (hep2_status_ != cudaSuccess)                                                   \
      ::hep2::cuda::detail::throw_cuda_error(hep2_status_, #call, __FILE__, __LINE__); \
  } while (0)

// Use right after every <<<...>>> launch; `kernel` names it in the error.
#define HEP2_LAUNCH_CHECK(kernel) ::hep2::cuda::detail::check_launch(kernel, __FILE__, __LINE__)
