// HEP2_HD marks functions compiled for both the host (g++) and the device (nvcc), so a formula
// is written once and the CPU loop and the CUDA kernel compute the same thing.
#pragma once
#if defined(__CUDACC__)
#define HEP2_HD __host__ __device__ __forceinline__
#else
#define HEP2_HD inline
#endif
