// A network made ready to run and learn on one backend: its ParamBlock, an activation arena sized
// once for the largest batch, the optimiser, and device scalars for the loss. The two training
// steps of the method are here:
//   ae_step:  forward, fused sigmoid + MSE against the input (or a clean target), backward,
//             optimiser update (the gradient of the MSE, or of the binary cross-entropy);
//   clf_step: forward, fused softmax cross-entropy against the labels, backward, update.
// Nothing is allocated and nothing synchronises inside a step; read_loss() downloads the scalar.
//
// CUDA graphs (set_step_graphs, the CUDA backend only): an autoencoder step is run once as usual,
// then captured, and replayed from then on: one launch for the whole step instead of one per op.
// A graph belongs to the step's batch size, input and target buffers (the caller fills the same
// buffer with each batch before the step), objective and learning-rate schedule; a step that
// differs in any of them gets its own graph (e.g. the last, partial batch of an epoch). Every
// per-step value lives in device memory (the optimiser's StepState), so a replay is the step the
// uncaptured code would have queued, kernel for kernel.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "hep2/nn/optimizer.h"
#include "hep2/nn/param_block.h"

namespace hep2 {

// What an autoencoder step descends. Either way the loss it reports is the reconstruction MSE, so
// runs compare and the collapse check (against the best constant output's MSE) holds.
enum class AeObjective {
  Mse,           // mean squared error of sigmoid(z): NOTES.md's reading of the paper (the default)
  CrossEntropy,  // binary cross-entropy: its gradient s - x does not vanish where sigmoid saturates
};

class Trainer {
 public:
  Trainer(Backend& be, Network net, int max_batch, OptimizerConfig opt);

  Backend& backend() { return be_; }
  Network& net() { return net_; }
  ParamBlock& block() { return block_; }
  Optimizer& optimizer() { return opt_; }
  int max_batch() const { return max_batch_; }
  // Device bytes held: parameter block + activation arena.
  size_t device_bytes() const { return block_.bytes() + arena_.capacity(); }

  void init(InitScheme scheme, uint64_t seed);
  // Inference (or training-mode) forward up to layer `end`; returns that layer's output.
  const float* forward(int batch, const float* x, bool training = false, uint64_t seed = 0,
                       size_t end = size_t(-1));

  // One autoencoder step on a device batch x (batch x sample). The loss of this step (before the
  // update) goes to loss_out, a device float (loss_device() when null): a loop can give each step
  // its own slot and read them all once per epoch, without a synchronisation per step.
  // target: what the reconstruction is compared with (x when null; the clean images when x is a
  // corrupted copy: a denoising autoencoder).
  // The learning rate is the optimiser's, with its warm-up (Optimizer::set_warmup).
  void ae_step(int batch, const float* x, float* loss_out = nullptr,
               const float* target = nullptr);
  // One classifier step on features x and int32 labels; seed drives dropout. Never captured (the
  // seed changes every step). first: where x's first sample sits in the step's global batch when
  // x is a data-parallel replica's part of it (its dropout masks are then the whole batch's
  // there; nn/layer.h Pass::first).
  void clf_step(int batch, const float* x, const int32_t* labels, uint64_t seed,
                float* loss_out = nullptr, int first = 0);
  // Only the loss and gradients (no update): for gradient checks and GPU-vs-CPU tests.
  void ae_loss_and_grad(int batch, const float* x, float* loss_out = nullptr,
                        const float* target = nullptr);
  void clf_loss_and_grad(int batch, const float* x, const int32_t* labels, uint64_t seed,
                         float* loss_out = nullptr, int first = 0);

  void set_ae_objective(AeObjective o) { ae_objective_ = o; }

  // Data-parallel training: called by each step after the backward pass and before the
  // optimiser's update, with the parameter block (its grads()), the step's device loss slot and
  // the step's batch. A hook that sums the gradients and losses of every replica's shard of the
  // global batch (dist/gradient_sum.h) makes the update the global batch's; the network itself
  // never knows how many replicas there are. Empty: no hook (one process).
  using GradientHook = std::function<void(ParamBlock& block, float* loss, int batch)>;
  void set_gradient_hook(GradientHook hook) {
    HEP2_CHECK(!hook || !graphs_on_, "a gradient hook cannot join captured (CUDA graph) steps");
    hook_ = std::move(hook);
  }
  // The step of a replica whose shard of a global batch is empty (the global batch has fewer
  // cells than there are replicas): zero gradients and loss, then the hook and the update, so
  // that every replica takes every step.
  void empty_step(float* loss_out = nullptr);

  // Autoencoder steps through CUDA graphs (see the top of this file). Throws when the backend
  // cannot capture (the CPU backend) or a gradient hook is set (the hook's gradient sum between
  // replicas is not captured).
  void set_step_graphs(bool on);
  bool step_graphs() const { return graphs_on_; }
  // Graphs captured so far (dropped when the backend's scratch memory moved, or graphs go off).
  size_t captured_steps() const { return graphs_.size(); }

  float* loss_device() { return loss_; }
  float read_loss();
  // Sigmoid of the last ae forward (the reconstruction), batch x sample.
  const float* reconstruction() const { return recon_; }
  const float* probabilities() const { return probs_; }

 private:
  Backend& be_;
  Network net_;
  int max_batch_;
  ParamBlock block_;
  Optimizer opt_;
  Arena arena_;
  float* recon_ = nullptr;  // DCAE: sigmoid(z); MLP: softmax(z)
  float* probs_ = nullptr;
  float* loss_ = nullptr;
  AeObjective ae_objective_ = AeObjective::Mse;
  GradientHook hook_;
  // A captured autoencoder step and what it was captured for.
  struct StepGraph {
    int batch = 0;
    const float* x = nullptr;
    const float* target = nullptr;
    AeObjective objective = AeObjective::Mse;
    math::StepSchedule schedule;
    uint64_t scratch_generation = 0;  // the backend's, at capture
    std::unique_ptr<CapturedWork> work;
  };
  bool graphs_on_ = false;
  std::vector<StepGraph> graphs_;
  void carve(Arena& a);
  void ae_step_uncaptured(int batch, const float* x, float* loss, const float* target);
  StepGraph* graph_for(int batch, const float* x, const float* target);
};

}  // namespace hep2
