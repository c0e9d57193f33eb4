// Aligned host allocation and the grow-only scratch buffer of the CPU backend.
#include "cpu/aligned_memory.h"

#include <cstdlib>

#include "hep2/core/error.h"

namespace hep2::cpu {

void* aligned_alloc_bytes(size_t bytes) {
  // std::aligned_alloc wants a size that is a multiple of the alignment.
  size_t rounded = (bytes + kHostAlign - 1) / kHostAlign * kHostAlign;
  if (rounded == 0) rounded = kHostAlign;
  if (rounded < bytes) fail("cpu backend: cannot allocate ", bytes, " bytes (size overflows)");
  void* p = std::aligned_alloc(kHostAlign, rounded);
  if (!p)
    fail("cpu backend: out of host memory allocating ", bytes,
         " bytes; reduce the batch size or free memory");
  return p;
}

void aligned_free(void* p) { std::free(p); }

void GrowBuffer::grow_to(size_t bytes) {
  if (bytes <= bytes_ && data_) return;
  void* fresh = aligned_alloc_bytes(bytes);
  aligned_free(data_);
  data_ = fresh;
  bytes_ = bytes;
}

}  // namespace hep2::cpu
