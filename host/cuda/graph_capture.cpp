// capture_graph and the graph it returns: see graph_capture.h.
#include "cuda/graph_capture.h"

#include <exception>

#include "cuda/check.h"
#include "cuda/nvtx_range.h"
#include "hep2/core/error.h"

namespace hep2::cuda {

namespace {

class Graph final : public CapturedWork {
 public:
  Graph(int device, cudaStream_t stream, cudaGraphExec_t exec)
      : device_(device), stream_(stream), exec_(exec) {}
  ~Graph() override {
    // No throwing from a destructor: a failure is reported to stderr and cleared (check.h).
    if (cudaSetDevice(device_) == cudaSuccess)
      detail::report_release_error(cudaGraphExecDestroy(exec_), "cudaGraphExecDestroy",
                                   "a captured step");
  }
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  void replay() override {
    NvtxRange range("graph_replay");
    HEP2_CUDA_CHECK(cudaSetDevice(device_));
    HEP2_CUDA_CHECK(cudaGraphLaunch(exec_, stream_));
    detail::sync_check(stream_, "a captured step (CUDA graph)", __FILE__, __LINE__);
  }

 private:
  int device_;
  cudaStream_t stream_;
  cudaGraphExec_t exec_;
};

// Ends a capture that `work` left by throwing: the partial graph is dropped and the error state
// that the failed call left on the stream is cleared, so the backend stays usable.
void abandon_capture(cudaStream_t stream) noexcept {
  cudaGraph_t partial = nullptr;
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &status) == cudaSuccess &&
      status != cudaStreamCaptureStatusNone) {
    if (cudaStreamEndCapture(stream, &partial) == cudaSuccess && partial)
      cudaGraphDestroy(partial);
  }
  cudaGetLastError();
}

}  // namespace

std::unique_ptr<CapturedWork> capture_graph(int device, cudaStream_t stream,
                                            const std::function<void()>& work) {
  HEP2_CUDA_CHECK(cudaSetDevice(device));
  HEP2_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
  cudaGraph_t graph = nullptr;
  try {
    detail::CaptureScope scope;  // the HEP2_CUDA_SYNC checks keep still while capturing
    work();
    HEP2_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  } catch (...) {
    abandon_capture(stream);
    throw;
  }
  if (!graph) fail("the CUDA graph capture ended without a graph (nothing was queued?)");
  cudaGraphExec_t exec = nullptr;
  const cudaError_t instantiated = cudaGraphInstantiate(&exec, graph, 0);
  // The executable graph holds its own copy: the captured one can go whatever happened.
  detail::report_release_error(cudaGraphDestroy(graph), "cudaGraphDestroy", "a captured graph");
  HEP2_CUDA_CHECK(instantiated);
  return std::make_unique<Graph>(device, stream, exec);
}

}  // namespace hep2::cuda
