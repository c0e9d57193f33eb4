// NCCL as built in: its version, as `hep2 info` reports it.
#include <nccl.h>

#include <string>

#include "hep2/dist/communicator.h"

namespace hep2::dist {

bool nccl_built() { return true; }

std::string nccl_version() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "unknown";
  // NCCL >= 2.9 encodes major * 10000 + minor * 100 + patch.
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

}  // namespace hep2::dist
