// A build without NCCL (no CUDA, no MPI, or no NCCL found): GPU gradients would travel over MPI.
#include <string>

#include "hep2/dist/communicator.h"

namespace hep2::dist {

bool nccl_built() { return false; }
std::string nccl_version() { return ""; }

}  // namespace hep2::dist
