// CUDA graphs for the CUDA backend: capture_graph records what a piece of host code queues on a
// stream (cudaStreamBeginCapture / cudaStreamEndCapture, then cudaGraphInstantiate) and returns
// it as a CapturedWork whose replay() is one cudaGraphLaunch on that stream. Every call is checked.
//
// The capture runs in cudaStreamCaptureModeGlobal: a call that is unsafe while capturing (an
// allocation, a synchronisation, a copy from pageable memory), made by this thread or any other,
// fails instead of being silently left out of the graph, and the Error names it.
#pragma once
#include <functional>
#include <memory>

#include <cuda_runtime_api.h>

#include "hep2/backend/backend.h"

namespace hep2::cuda {

std::unique_ptr<CapturedWork> capture_graph(int device, cudaStream_t stream,
                                            const std::function<void()>& work);

}  // namespace hep2::cuda
