// Device allocations of the CUDA backend.
//  - device_malloc: cudaMalloc whose out-of-memory error says how much was asked, how much is
//    free, and what the user can do about it (a smaller --batch), instead of a bare error code.
//  - Workspace: scratch memory (cuDNN, cuBLAS, split-K partial sums) that only grows, and only
//    on the first call with a larger shape, so the training step loop never allocates.
#pragma once
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace hep2::cuda {

// Throws hep2::Error (out of memory or any other failure). 0 bytes gives nullptr.
void* device_malloc(size_t bytes, int device, const char* what);

class Workspace {
 public:
  Workspace(int device, const char* what) : device_(device), what_(what) {}
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // At least `bytes` of device memory. Growing waits for `stream` first, because work already
  // queued may still be reading the old block.
  void* get(size_t bytes, cudaStream_t stream);
  size_t capacity() const { return bytes_; }
  // How often the block moved (grew): work captured into a CUDA graph holds the old address.
  uint64_t generation() const { return generation_; }

 private:
  int device_;
  const char* what_;
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace hep2::cuda
