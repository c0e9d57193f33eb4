// One model's gradients summed over the replicas of data-parallel training, in a fixed order.
// Each rank trains on its part of every global batch (pipeline/training.h, AeTrainOptions::shard)
// and its gradients and loss are means over that part; the sum weights rank r's by its share of
// the global batch, batch_r / B, and adds them in rank order:
//   g = sum over r = 0, 1, ... of (batch_r / B) * g_r      (each product and sum rounded, no FMA)
// so that the update is the global batch's, a given rank count repeats bit for bit, every rank
// holds the same bits afterwards, and one rank alone keeps its gradients exactly (weight 1).
// On the CPU (or a GPU without NCCL) the ranks' gradients are gathered on rank 0 over MPI, summed
// there and broadcast; on GPUs NCCL gathers every rank's gradients on every GPU (ncclAllGather,
// its unique id broadcast over MPI) and each GPU sums them with the same formula. MPI's and
// NCCL's own all-reduce are not used: their order of addition is the library's to choose.
#pragma once
#include <cstddef>
#include <memory>

#include "hep2/backend/backend.h"
#include "hep2/dist/communicator.h"
#include "hep2/nn/trainer.h"

namespace hep2::dist {

class GradientSum {
 public:
  virtual ~GradientSum() = default;
  // Replaces grads (count device floats of the backend) and *loss (one device float) by the
  // weighted sums above; batch: the cells of this rank's part of the step's global batch.
  virtual void sum(float* grads, float* loss, size_t count, int batch) = 0;
  virtual const char* kind() const = 0;  // "MPI" or "NCCL"
};

// For a model whose gradient section holds `count` floats on `be`: NCCL for a GPU backend when
// hep2 is built with it, otherwise through host memory over the communicator. A trainer's count
// is its ParamBlock::stride(), not count(): each tensor's slice of the section starts on an
// aligned boundary (param_block.h), so the gradients spread over the whole padded section, and a
// sum of the first count() floats would leave the last tensors' gradients unsummed (each replica
// would then step them with its own part's gradient alone). The padding is zero on every rank
// and sums to zero.
std::unique_ptr<GradientSum> make_gradient_sum(Communicator& c, Backend& be, size_t count);
// The two kinds, for tests: over the communicator, and NCCL (throws in a build without it).
std::unique_ptr<GradientSum> make_host_gradient_sum(Communicator& c, Backend& be, size_t count);
std::unique_ptr<GradientSum> make_nccl_gradient_sum(Communicator& c, Backend& be, size_t count);

// The trainer's gradient hook that applies `sum` (which must outlive the trainer's steps) to the
// whole gradient section of its block (stride() floats).
Trainer::GradientHook gradient_hook(GradientSum& sum);
// The same, holding the sum for as long as the trainer keeps the hook.
Trainer::GradientHook gradient_hook(std::shared_ptr<GradientSum> sum);

// The sum itself on the host: `gathered` holds `ranks` rows of `width` floats, rank r's
// [values (width - 1), batch_r]; out gets the width - 1 weighted sums. The GPU kernel
// (nccl_rank_sum.cu) computes the same formula with the same roundings.
void sum_in_rank_order(const float* gathered, int ranks, size_t width, float* out);

}  // namespace hep2::dist
