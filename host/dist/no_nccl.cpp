// A build without NCCL (no CUDA, no MPI, or no NCCL found): GPU gradients would travel over MPI.
#include <string>

#include "hep2/core/error.h"
#include "hep2/dist/communicator.h"
#include "hep2/dist/gradient_sum.h"

namespace hep2::dist {

bool nccl_built() { return false; }
std::string nccl_version() { return ""; }

}  // namespace hep2::dist

namespace hep2::dist {

std::unique_ptr<GradientSum> make_nccl_gradient_sum(Communicator&, Backend&, size_t) {
  fail("this hep2 was built without NCCL (it needs CUDA and MPI at build time, and nccl.h)");
}

}  // namespace hep2::dist
