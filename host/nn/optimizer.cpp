// Optimizer: the step state in the backend's memory, advanced by the backend, then one fused
// backend call over the whole flat buffer (padding included: it is zero and the update keeps it
// zero).
#include "hep2/nn/optimizer.h"

#include "hep2/core/error.h"

namespace hep2 {

OptimizerConfig::Kind OptimizerConfig::parse_kind(const std::string& s) {
  if (s == "adam") return Kind::Adam;
  if (s == "sgd") return Kind::Sgd;
  fail("unknown optimiser '", s, "': use adam or sgd");
}

Optimizer::Optimizer(Backend& be, OptimizerConfig cfg) : be_(&be), cfg_(cfg), state_(be, 1) {
  schedule_.lr = cfg_.lr;
  schedule_.beta1 = cfg_.beta1;
  schedule_.beta2 = cfg_.beta2;
  set_steps(0);
}

void Optimizer::step(ParamBlock& block) {
  be_->advance_step(state_.data(), schedule_);
  if (cfg_.kind == OptimizerConfig::Kind::Adam) {
    math::AdamHyper h;  // lr and the bias corrections come from the step state
    h.beta1 = float(cfg_.beta1);
    h.beta2 = float(cfg_.beta2);
    h.eps = cfg_.eps;
    h.omb1 = float(1.0 - cfg_.beta1);
    h.omb2 = float(1.0 - cfg_.beta2);
    h.weight_decay = cfg_.weight_decay;
    be_->adam_step_at(block.stride(), block.params(), block.grads(), block.moment1(),
                      block.moment2(), h, state_.data());
  } else {
    math::SgdHyper h;
    h.momentum = cfg_.momentum;
    h.weight_decay = cfg_.weight_decay;
    be_->sgd_step_at(block.stride(), block.params(), block.grads(), block.moment1(), h,
                     state_.data());
  }
}

long Optimizer::steps() const {
  math::StepState s;
  be_->download(&s, state_.data(), sizeof(s));
  return long(s.t);
}

void Optimizer::set_steps(long t) {
  if (t < 0) fail("optimiser step count ", t, " must not be negative");
  math::StepState s;  // lr and the bias corrections follow at the next advance
  s.t = t;
  be_->upload(state_.data(), &s, sizeof(s));
}

void Optimizer::set_warmup(double steps, long start) {
  if (!(steps >= 0)) fail("warm-up over ", steps, " steps: must be a number of steps >= 0");
  schedule_.warmup_steps = steps;
  schedule_.warmup_start = start;
}

}  // namespace hep2
