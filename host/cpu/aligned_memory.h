// Host memory for the CPU backend: 64-byte aligned blocks (one cache line, one AVX-512 vector) and
// a grow-only scratch buffer that is reallocated only when a larger size is asked for, so a
// training loop allocates nothing once it has seen its largest layer.
#pragma once
#include <cstddef>

namespace hep2::cpu {

inline constexpr size_t kHostAlign = 64;

// Throws hep2::Error naming the size when the allocation fails. Zero bytes gives a valid
// one-line block, so every successful call returns a pointer that free can take.
void* aligned_alloc_bytes(size_t bytes);
void aligned_free(void* p);

class GrowBuffer {
 public:
  GrowBuffer() = default;
  GrowBuffer(const GrowBuffer&) = delete;
  GrowBuffer& operator=(const GrowBuffer&) = delete;
  GrowBuffer(GrowBuffer&& o) noexcept : data_(o.data_), bytes_(o.bytes_) {
    o.data_ = nullptr;
    o.bytes_ = 0;
  }
  GrowBuffer& operator=(GrowBuffer&&) = delete;
  ~GrowBuffer() { aligned_free(data_); }

  // Makes room for `count` values of T; the old contents are not kept when it grows.
  template <class T>
  T* reserve(size_t count) {
    grow_to(count * sizeof(T));
    return static_cast<T*>(data_);
  }
  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  size_t bytes() const { return bytes_; }

 private:
  void grow_to(size_t bytes);
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace hep2::cpu
