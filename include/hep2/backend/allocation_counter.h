// Bytes a backend holds through alloc()/free(), now and at the highest point: the figure behind
// "peak device memory" in `hep2 bench` and metrics.json. Allocations are few and large (buffers,
// arenas), so a map from pointer to size costs nothing measurable.
#pragma once
#include <algorithm>
#include <cstddef>
#include <unordered_map>

namespace hep2 {

class AllocationCounter {
 public:
  void allocated(void* p, size_t bytes) {
    if (!p) return;
    sizes_[p] = bytes;
    in_use_ += bytes;
    ++allocations_;
    peak_ = std::max(peak_, in_use_);
  }
  void freed(void* p) {
    auto it = sizes_.find(p);
    if (it == sizes_.end()) return;  // not ours (or null): nothing to count
    in_use_ -= it->second;
    sizes_.erase(it);
  }
  size_t in_use() const { return in_use_; }
  size_t peak() const { return peak_; }
  size_t allocations() const { return allocations_; }  // alloc() calls so far

 private:
  std::unordered_map<void*, size_t> sizes_;
  size_t in_use_ = 0, peak_ = 0, allocations_ = 0;
};

}  // namespace hep2
