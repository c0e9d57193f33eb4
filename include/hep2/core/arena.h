// Device memory that is allocated up front and carved, never allocated in a step loop.
//  - Buffer<T>: one owned allocation on a backend (RAII).
//  - Arena: one allocation carved into aligned slices. Size it by running the same carving code
//    once on a counting arena (Arena::counting()), then allocate exactly that and carve for real.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>

#include "hep2/backend/backend.h"
#include "hep2/core/error.h"

namespace hep2 {

template <class T>
class Buffer {
 public:
  Buffer() = default;
  Buffer(Backend& be, size_t count) : be_(&be), count_(count) {
    if (count) ptr_ = static_cast<T*>(be.alloc(count * sizeof(T)));
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept { swap(o); }
  Buffer& operator=(Buffer&& o) noexcept {
    Buffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~Buffer() {
    if (ptr_) be_->free(ptr_);
  }
  T* data() const { return ptr_; }
  size_t size() const { return count_; }
  size_t bytes() const { return count_ * sizeof(T); }
  void swap(Buffer& o) noexcept {
    std::swap(be_, o.be_);
    std::swap(ptr_, o.ptr_);
    std::swap(count_, o.count_);
  }

 private:
  Backend* be_ = nullptr;
  T* ptr_ = nullptr;
  size_t count_ = 0;
};

class Arena {
 public:
  static constexpr size_t kAlign = 256;  // cuDNN/cuBLAS and AVX-512 friendly

  // A counting arena (also the default-constructed one) hands out no memory; it only measures
  // what the carving asks for.
  Arena() = default;
  static Arena counting() { return Arena(); }
  Arena(Backend& be, size_t bytes) : be_(&be), capacity_(bytes) {
    if (bytes) base_ = static_cast<char*>(be.alloc(bytes));
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&& o) noexcept { swap(o); }
  Arena& operator=(Arena&& o) noexcept {
    Arena tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~Arena() {
    if (base_) be_->free(base_);
  }

  template <class T>
  T* take(size_t count) {
    size_t bytes = (count * sizeof(T) + kAlign - 1) / kAlign * kAlign;
    size_t at = used_;
    used_ += bytes;
    if (used_ > peak_) peak_ = used_;
    if (!be_) return nullptr;  // counting
    if (used_ > capacity_)
      fail("memory arena overflow: ", used_, " bytes asked of an arena of ", capacity_,
           " (internal sizing error)");
    return reinterpret_cast<T*>(base_ + at);
  }
  void reset() { used_ = 0; }
  size_t used() const { return used_; }
  size_t peak() const { return peak_; }
  size_t capacity() const { return capacity_; }
  bool is_counting() const { return be_ == nullptr; }

  void swap(Arena& o) noexcept {
    std::swap(be_, o.be_);
    std::swap(base_, o.base_);
    std::swap(capacity_, o.capacity_);
    std::swap(used_, o.used_);
    std::swap(peak_, o.peak_);
  }

 private:
  Backend* be_ = nullptr;
  char* base_ = nullptr;
  size_t capacity_ = 0, used_ = 0, peak_ = 0;
};

}  // namespace hep2
