// The CUDA entry points of a build without the CUDA backend: they say so instead of failing to link.
#include <memory>

#include "hep2/backend/backend.h"
#include "hep2/core/error.h"

namespace hep2 {

std::unique_ptr<Backend> make_cuda_backend(int, bool) {
  fail("this hep2 was built without CUDA (HEP2_CUDA=OFF or no toolkit found); use --device cpu, "
       "or rebuild on a machine with the CUDA toolkit and cuDNN");
}
bool cuda_built() { return false; }
int cuda_device_count() { return 0; }
std::string cuda_info() { return "cuda: not built (HEP2_CUDA=OFF or no toolkit at build time)\n"; }

}  // namespace hep2
