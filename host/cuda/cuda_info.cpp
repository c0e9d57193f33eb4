// cuda_info(): the versions hep2 runs against and the devices it sees, one "key: value" per line,
// for `hep2 info`, benchmark records and bug reports. Never throws: a missing driver or device is
// reported as a value, not as an error.
#include <sstream>
#include <string>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "hep2/backend/backend.h"

namespace hep2 {

namespace {

// CUDA encodes versions as 1000 * major + 10 * minor.
std::string cuda_version_text(int v) {
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

}  // namespace

std::string cuda_info() {
  std::ostringstream s;
  int runtime = 0, driver = 0;
  s << "cuda runtime: "
    << (cudaRuntimeGetVersion(&runtime) == cudaSuccess ? cuda_version_text(runtime) : "unknown")
    << "\n";
  if (cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0)
    s << "cuda driver: " << cuda_version_text(driver) << "\n";
  else
    s << "cuda driver: none found\n";
  // cuDNN 9 encodes its version as 10000 * major + 100 * minor + patch.
  size_t cudnn = cudnnGetVersion();
  s << "cudnn: " << cudnn / 10000 << "." << (cudnn % 10000) / 100 << "." << cudnn % 100 << "\n";
  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(MINOR_VERSION, &minor) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(PATCH_LEVEL, &patch) == CUBLAS_STATUS_SUCCESS)
    s << "cublas: " << major << "." << minor << "." << patch << "\n";
  else
    s << "cublas: unknown\n";

  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    s << "cuda devices: 0 (" << cudaGetErrorString(status) << ")\n";
    cudaGetLastError();  // leave no pending error behind
    return s.str();
  }
  s << "cuda devices: " << count << "\n";
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, d) != cudaSuccess) {
      s << "cuda:" << d << ": properties unavailable\n";
      cudaGetLastError();
      continue;
    }
    s << "cuda:" << d << ": " << prop.name << ", compute capability " << prop.major << "."
      << prop.minor << ", " << prop.multiProcessorCount << " SMs, "
      << double(prop.totalGlobalMem) / double(1 << 30) << " GiB\n";
  }
  return s.str();
}

}  // namespace hep2
