// Optimisers over the flat parameter buffer: Adam(W) and SGD with momentum. The hyper-parameters
// live here; the per-element update is math::adam_update / math::sgd_update.
//
// The step counter lives in the backend's memory (math::StepState: device memory on the GPU, a
// plain host value on the CPU) and is advanced there by each step, together with the step's
// learning rate (the warm-up ramp applied) and Adam's bias corrections. So a step asks nothing of
// the host that changes from one step to the next, and a step captured into a CUDA graph replays
// correctly (nn/trainer.h). steps() and set_steps() read and write the counter (checkpoints).
#pragma once
#include <string>

#include "hep2/core/arena.h"
#include "hep2/nn/param_block.h"

namespace hep2 {

struct OptimizerConfig {
  enum class Kind { Adam, Sgd } kind = Kind::Adam;
  float lr = 3e-4f;
  double beta1 = 0.9, beta2 = 0.999;  // Adam (double: 1 - beta must be exact, as in PyTorch)
  float eps = 1e-8f;
  float momentum = 0.9f;                            // SGD
  float weight_decay = 0.f;  // Adam: decoupled (AdamW); SGD: L2 added to the gradient
  static Kind parse_kind(const std::string& s);
};

class Optimizer {
 public:
  // Allocates the step state on `be`, at 0 steps.
  Optimizer(Backend& be, OptimizerConfig cfg);
  // Applies one update from the gradients in the block: advances the step state, then updates
  // with the rate and bias corrections it holds. Asynchronous on the GPU.
  void step(ParamBlock& block);
  // Steps taken (a download: it waits for the backend).
  long steps() const;
  // Sets the counter (a checkpoint's); the next step is step t + 1.
  void set_steps(long t);
  // Linear warm-up of the learning rate: the step whose counter becomes start + k (k >= 1) runs at
  // min(1, k / steps) times the rate; steps 0: the full rate.
  void set_warmup(double steps, long start);
  const OptimizerConfig& config() const { return cfg_; }
  // What the update kernels receive each step (constant from step to step).
  const math::StepSchedule& schedule() const { return schedule_; }
  // The step state in the backend's memory (one math::StepState).
  const math::StepState* state() const { return state_.data(); }

 private:
  Backend* be_;
  OptimizerConfig cfg_;
  math::StepSchedule schedule_;
  Buffer<math::StepState> state_;
};

}  // namespace hep2
