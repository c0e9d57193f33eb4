// Convolutions through cuDNN 9's graph (backend descriptor) API, behind a small wrapper of our
// own: describe the one-operation graph, ask the heuristics for engine configurations, keep the
// first one (in the heuristic's order, precompiled engines before run-time compiled ones and, when
// TF32 is allowed, tensor-core engines first) that is deterministic, never down-converts its
// inputs or reduces in reduced precision, uses tensor cores (TF32) only when allowed and fits the
// workspace limit, and cache that execution plan per (operation, geometry, pointer alignment).
// Plans are built on the first call with a shape, outside the training loop's steady state;
// later calls only fill a variant pack and execute.
//
// Why the graph API and not cudnnConvolutionForward & co.: those are deprecated in cuDNN 9 and
// will go; the graph API is where new engines appear, and its engine notes let us filter for
// determinism and FP32 math explicitly rather than trusting an algorithm enum.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include <cudnn.h>

#include "cuda/device_memory.h"
#include "hep2/core/shape.h"

namespace hep2::cuda {

class CudnnConv {
 public:
  // The handle must already be bound to the stream the convolutions run on.
  CudnnConv(cudnnHandle_t handle, bool allow_tf32, size_t workspace_limit_bytes);
  ~CudnnConv();
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;

  // y = conv(x, w) (no bias: the caller's epilogue adds bias and activation).
  void forward(const ConvGeom& g, const float* x, const float* w, float* y, Workspace& ws,
               cudaStream_t stream);
  // dx = conv_transpose(dy, w).
  void backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx, Workspace& ws,
                     cudaStream_t stream);
  // dw = sum over the batch of correlate(x, dy).
  void backward_filter(const ConvGeom& g, const float* x, const float* dy, float* dw, Workspace& ws,
                       cudaStream_t stream);

 private:
  enum class Op { Forward, BackwardData, BackwardFilter };
  struct Plan;
  using Key = std::array<int, 13>;

  const Plan& plan_for(Op op, const ConvGeom& g, const std::array<int, 3>& alignments);
  void execute(const Plan& plan, const std::array<const void*, 3>& pointers, Workspace& ws,
               cudaStream_t stream);

  cudnnHandle_t handle_;
  bool allow_tf32_;
  size_t workspace_limit_;
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace hep2::cuda
