// ParamBlock: allocation, seeded initialisation and host transfers of the flat parameter buffer.
// Transfers move whole sections (one upload or download each) and pack or unpack them on the host.
#include "hep2/nn/param_block.h"

#include <cmath>
#include <utility>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"

namespace hep2 {

ParamBlock::ParamBlock(Backend& be, ParamLayout layout)
    : layout_(std::move(layout)), all_(be, 4 * layout_.stride()) {
  be.fill(all_.data(), all_.size(), 0.f);
}

void ParamBlock::init(Backend& be, const std::vector<ParamTensor>& tensors, InitScheme scheme,
                      uint64_t seed) {
  std::vector<float> host(count(), 0.f);
  for (size_t t = 0; t < tensors.size(); ++t) {
    const ParamTensor& pt = tensors[t];
    HEP2_CHECK(pt.offset + pt.count <= count(), "tensor ", pt.name, " outside the block");
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
  if (host.size() != count())
    fail("parameter vector has ", host.size(), " values, the model needs ", count());
  std::vector<float> section(stride(), 0.f);
  layout_.unpack(host.data(), section.data());
  be.fill(all_.data(), all_.size(), 0.f);
  be.upload(params(), section.data(), section.size() * sizeof(float));
}

std::vector<float> ParamBlock::get_section(Backend& be, const float* section) const {
  std::vector<float> raw(stride());
  be.download(raw.data(), section, raw.size() * sizeof(float));
  std::vector<float> host(count());
  layout_.pack(raw.data(), host.data());
  return host;
}

std::vector<float> ParamBlock::get_params(Backend& be) const { return get_section(be, params()); }

std::vector<float> ParamBlock::get_grads(Backend& be) const { return get_section(be, grads()); }

std::vector<float> ParamBlock::get_all(Backend& be) const {
  std::vector<float> raw(all_.size());
  be.download(raw.data(), all_.data(), all_.bytes());
  std::vector<float> host(4 * count());
  for (size_t s = 0; s < 4; ++s) layout_.pack(raw.data() + s * stride(), host.data() + s * count());
  return host;
}

void ParamBlock::set_all(Backend& be, const std::vector<float>& host) {
  if (host.size() != 4 * count())
    fail("optimiser state has ", host.size(), " values, the model needs ", 4 * count());
  std::vector<float> raw(all_.size(), 0.f);
  for (size_t s = 0; s < 4; ++s)
    layout_.unpack(host.data() + s * count(), raw.data() + s * stride());
  be.upload(all_.data(), raw.data(), all_.bytes());
}

}  // namespace hep2
