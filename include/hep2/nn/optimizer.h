// Optimisers over the flat parameter buffer: Adam(W) and SGD with momentum. The step counter and
// hyper-parameters live here; the per-element update is math::adam_update / math::sgd_update.
#pragma once
#include <string>

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
  explicit Optimizer(OptimizerConfig cfg) : cfg_(cfg) {}
  // Applies one update from the gradients in the block. lr_scale multiplies the learning rate
  // (schedules).
  void step(Backend& be, ParamBlock& block, float lr_scale = 1.f);
  long steps() const { return t_; }
  void set_steps(long t) { t_ = t; }
  const OptimizerConfig& config() const { return cfg_; }

 private:
  OptimizerConfig cfg_;
  long t_ = 0;
};

}  // namespace hep2
