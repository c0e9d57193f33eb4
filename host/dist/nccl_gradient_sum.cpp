// The gradient sum between GPUs with NCCL: every rank's [gradients, loss, batch] gathered on
// every GPU (ncclAllGather; the communicator's unique id broadcast over MPI), then summed in rank
// order by nccl_rank_sum.cu. Every CUDA and NCCL call is checked.
#include <cuda_runtime.h>
#include <nccl.h>

#include <vector>

#include "hep2/core/error.h"
#include "hep2/dist/gradient_sum.h"

namespace hep2::dist {

cudaError_t launch_rank_sum(const float* gathered, int ranks, size_t width, float* values,
                            float* last, cudaStream_t stream);

namespace {

void check_cuda(cudaError_t e, const char* call, int line) {
  if (e != cudaSuccess)
    fail("nccl_gradient_sum.cpp:", line, ": ", call, ": ", cudaGetErrorString(e));
}
void check_nccl(ncclResult_t e, const char* call, int line) {
  if (e != ncclSuccess)
    fail("nccl_gradient_sum.cpp:", line, ": ", call, ": ", ncclGetErrorString(e));
}
#define HEP2_CUDA_OK(call) check_cuda((call), #call, __LINE__)
#define HEP2_NCCL_OK(call) check_nccl((call), #call, __LINE__)

class NcclGradientSum final : public GradientSum {
 public:
  NcclGradientSum(Communicator& c, Backend& be, size_t count)
      : be_(be), ranks_(c.size()), count_(count), width_(count + 2) {
    if (!be.is_gpu()) fail("the NCCL gradient sum needs a GPU backend, not ", be.name());
    ncclUniqueId id{};
    if (c.rank() == 0) HEP2_NCCL_OK(ncclGetUniqueId(&id));
    c.broadcast(&id, sizeof id);
    // The backend has made its device current on this thread: NCCL and the buffers use it.
    HEP2_NCCL_OK(ncclCommInitRank(&comm_, ranks_, id, c.rank()));
    HEP2_CUDA_OK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    HEP2_CUDA_OK(cudaMalloc(&send_, width_ * sizeof(float)));
    HEP2_CUDA_OK(cudaMalloc(&all_, size_t(ranks_) * width_ * sizeof(float)));
  }
  ~NcclGradientSum() override {
    cudaFree(all_);
    cudaFree(send_);
    cudaStreamDestroy(stream_);
    ncclCommDestroy(comm_);
  }

  void sum(float* grads, float* loss, size_t count, int batch) override {
    HEP2_CHECK(count == count_, "a gradient sum made for ", count_, " values got ", count);
    // The backward pass ran on the backend's stream: wait for it, then work on our own.
    be_.sync();
    const float b = float(batch);
    HEP2_CUDA_OK(cudaMemcpyAsync(send_, grads, count * sizeof(float), cudaMemcpyDeviceToDevice, stream_));
    HEP2_CUDA_OK(cudaMemcpyAsync(send_ + count, loss, sizeof(float), cudaMemcpyDeviceToDevice, stream_));
    HEP2_CUDA_OK(cudaMemcpyAsync(send_ + count + 1, &b, sizeof(float), cudaMemcpyHostToDevice, stream_));
    HEP2_NCCL_OK(ncclAllGather(send_, all_, width_, ncclFloat, comm_, stream_));
    HEP2_CUDA_OK(launch_rank_sum(all_, ranks_, width_, grads, loss, stream_));
    // The optimiser's update runs on the backend's stream next.
    HEP2_CUDA_OK(cudaStreamSynchronize(stream_));
  }
  const char* kind() const override { return "NCCL"; }

 private:
  Backend& be_;
  int ranks_;
  size_t count_, width_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  float* send_ = nullptr;
  float* all_ = nullptr;
};

}  // namespace

std::unique_ptr<GradientSum> make_nccl_gradient_sum(Communicator& c, Backend& be, size_t count) {
  return std::make_unique<NcclGradientSum>(c, be, count);
}

}  // namespace hep2::dist
