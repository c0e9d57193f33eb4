// ParamBlock: allocation, seeded initialisation and host transfers of the flat parameter buffer.
#include "hep2/nn/param_block.h"

#include <cmath>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"

namespace hep2 {

ParamBlock::ParamBlock(Backend& be, size_t count) : all_(be, 4 * count), count_(count) {
  be.fill(all_.data(), all_.size(), 0.f);
}

void ParamBlock::init(Backend& be, const std::vector<ParamTensor>& tensors, InitScheme scheme,
                      uint64_t seed) {
  std::vector<float> host(count_, 0.f);
  for (size_t t = 0; t < tensors.size(); ++t) {
    const ParamTensor& pt = tensors[t];
    HEP2_CHECK(pt.offset + pt.count <= count_, "tensor ", pt.name, " outside the block");
    // One generator per tensor: adding a layer does not change the others' initial values.
    Rng rng(seed, 2 * t + 1);
    double bound = 0;
    if (scheme == InitScheme::Torch) bound = 1.0 / std::sqrt(double(pt.fan_in));
    else if (!pt.is_bias) bound = std::sqrt(6.0 / double(pt.fan_in));
    for (size_t i = 0; i < pt.count; ++i) host[pt.offset + i] = float(rng.uniform(-bound, bound));
  }
  set_params(be, host);
}

void ParamBlock::set_params(Backend& be, const std::vector<float>& host) {
  if (host.size() != count_)
    fail("parameter vector has ", host.size(), " values, the model needs ", count_);
  be.fill(all_.data(), all_.size(), 0.f);
  be.upload(params(), host.data(), count_ * sizeof(float));
}

std::vector<float> ParamBlock::get_params(Backend& be) const {
  std::vector<float> host(count_);
  be.download(host.data(), params(), count_ * sizeof(float));
  return host;
}

std::vector<float> ParamBlock::get_grads(Backend& be) const {
  std::vector<float> host(count_);
  be.download(host.data(), grads(), count_ * sizeof(float));
  return host;
}

std::vector<float> ParamBlock::get_all(Backend& be) const {
  std::vector<float> host(all_.size());
  be.download(host.data(), all_.data(), all_.bytes());
  return host;
}

void ParamBlock::set_all(Backend& be, const std::vector<float>& host) {
  if (host.size() != all_.size())
    fail("optimiser state has ", host.size(), " values, the model needs ", all_.size());
  be.upload(all_.data(), host.data(), all_.bytes());
}

}  // namespace hep2
