// device_malloc and Workspace: see device_memory.h.
#include "cuda/device_memory.h"

#include "cuda/check.h"
#include "hep2/core/error.h"

namespace hep2::cuda {

namespace {
constexpr double kMiB = 1024.0 * 1024.0;
}

void* device_malloc(size_t bytes, int device, const char* what) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  cudaError_t status = cudaMalloc(&p, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear it, so the next launch check does not report it again
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    fail("CUDA out of memory on cuda:", device, " allocating ", what, ": asked for ", bytes,
         " bytes (", bytes / kMiB, " MiB), ", free_bytes, " bytes (", free_bytes / kMiB,
         " MiB) free of ", total_bytes / kMiB,
         " MiB; try a smaller --batch, or free the GPU of other processes (nvidia-smi)");
  }
  HEP2_CUDA_CHECK(status);
  return p;
}

Workspace::~Workspace() {
  // No throwing from a destructor: a failure is reported to stderr and cleared (check.h).
  if (ptr_) detail::report_release_error(cudaFree(ptr_), "cudaFree", what_);
}

void* Workspace::get(size_t bytes, cudaStream_t stream) {
  if (bytes <= bytes_) return ptr_;
  // Growing waits and allocates, neither of which a CUDA graph can hold: say so, and what to do.
  if (detail::capturing())
    fail(what_, " would grow from ", bytes_, " to ", bytes,
         " bytes inside a CUDA graph capture; run the captured work once uncaptured first, so "
         "that the workspaces reach their size");
  HEP2_CUDA_CHECK(cudaStreamSynchronize(stream));
  if (ptr_) HEP2_CUDA_CHECK(cudaFree(ptr_));
  ptr_ = nullptr;
  bytes_ = 0;
  ptr_ = device_malloc(bytes, device_, what_);
  bytes_ = bytes;
  ++generation_;
  return ptr_;
}

}  // namespace hep2::cuda
