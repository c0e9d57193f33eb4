// Stand-in for the CUDA runtime header when kernels/ compile as C++ in the SIMT harness: the
// harness's runtime (forced in with -include) already declares what the kernels use.
#pragma once
#include "simt_runtime.h"
