// The gradient sum over the communicator (rank 0 sums, then broadcasts), the choice between it
// and NCCL, and the trainer hook.
#include "hep2/dist/gradient_sum.h"

#include <vector>

#include "hep2/core/error.h"

namespace hep2::dist {
namespace {

class HostGradientSum final : public GradientSum {
 public:
  HostGradientSum(Communicator& c, Backend& be, size_t count)
      : c_(c), be_(be), count_(count), send_(count + 2), out_(count + 1) {
    if (c.rank() == 0) all_.resize(size_t(c.size()) * send_.size());
  }
  void sum(float* grads, float* loss, size_t count, int batch) override {
    HEP2_CHECK(count == count_, "a gradient sum made for ", count_, " values got ", count);
    be_.download(send_.data(), grads, count * sizeof(float));
    be_.download(send_.data() + count, loss, sizeof(float));
    send_[count + 1] = float(batch);
    c_.gather_floats(send_.data(), send_.size(), all_.data());
    if (c_.rank() == 0) sum_in_rank_order(all_.data(), c_.size(), send_.size(), out_.data());
    c_.broadcast(out_.data(), out_.size() * sizeof(float));
    be_.upload(grads, out_.data(), count * sizeof(float));
    be_.upload(loss, out_.data() + count, sizeof(float));
  }
  const char* kind() const override { return "MPI"; }

 private:
  Communicator& c_;
  Backend& be_;
  size_t count_;
  std::vector<float> send_, all_, out_;
};

}  // namespace

std::unique_ptr<GradientSum> make_host_gradient_sum(Communicator& c, Backend& be, size_t count) {
  return std::make_unique<HostGradientSum>(c, be, count);
}

std::unique_ptr<GradientSum> make_gradient_sum(Communicator& c, Backend& be, size_t count) {
  if (be.is_gpu() && nccl_built()) return make_nccl_gradient_sum(c, be, count);
  return make_host_gradient_sum(c, be, count);
}

Trainer::GradientHook gradient_hook(std::shared_ptr<GradientSum> sum) {
  return [sum = std::move(sum)](ParamBlock& block, float* loss, int batch) {
    sum->sum(block.grads(), loss, block.stride(), batch);
  };
}

// The aliasing constructor with an empty owner: a pointer that shares nothing and frees nothing.
Trainer::GradientHook gradient_hook(GradientSum& sum) {
  return gradient_hook(std::shared_ptr<GradientSum>(std::shared_ptr<GradientSum>(), &sum));
}

}  // namespace hep2::dist
