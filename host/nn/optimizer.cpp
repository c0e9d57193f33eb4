// Optimizer: bias corrections on the host, one fused backend call over the whole flat buffer
// (padding included: it is zero and the update keeps it zero).
#include "hep2/nn/optimizer.h"

#include <cmath>

#include "hep2/core/error.h"

namespace hep2 {

OptimizerConfig::Kind OptimizerConfig::parse_kind(const std::string& s) {
  if (s == "adam") return Kind::Adam;
  if (s == "sgd") return Kind::Sgd;
  fail("unknown optimiser '", s, "': use adam or sgd");
}

void Optimizer::step(Backend& be, ParamBlock& block, float lr_scale) {
  ++t_;
  if (cfg_.kind == OptimizerConfig::Kind::Adam) {
    math::AdamHyper h;
    h.lr = cfg_.lr * lr_scale;
    h.beta1 = float(cfg_.beta1);
    h.beta2 = float(cfg_.beta2);
    h.eps = cfg_.eps;
    h.omb1 = float(1.0 - cfg_.beta1);
    h.omb2 = float(1.0 - cfg_.beta2);
    h.weight_decay = cfg_.weight_decay;
    // In double: beta^t for large t underflows gracefully and stays exact for small t.
    h.bc1 = float(1.0 - std::pow(cfg_.beta1, double(t_)));
    h.bc2 = float(1.0 - std::pow(cfg_.beta2, double(t_)));
    be.adam_step(block.stride(), block.params(), block.grads(), block.moment1(), block.moment2(),
                 h);
  } else {
    math::SgdHyper h;
    h.lr = cfg_.lr * lr_scale;
    h.momentum = cfg_.momentum;
    h.weight_decay = cfg_.weight_decay;
    be.sgd_step(block.stride(), block.params(), block.grads(), block.moment1(), h);
  }
}

}  // namespace hep2
