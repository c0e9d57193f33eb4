// A named NVTX range for the lifetime of a scope, so Nsight Systems shows every backend op (and
// whatever the layers above wrap) on the timeline. NVTX v3 is header-only and costs a few
// nanoseconds when no profiler is attached.
#pragma once
#include <nvtx3/nvToolsExt.h>

namespace hep2::cuda {

class NvtxRange {
 public:
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;
};

}  // namespace hep2::cuda
