// Network: parameter table, activation planning, and the forward/backward walk over the layers.
#include "hep2/nn/network.h"

#include <algorithm>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"

namespace hep2 {

void Network::add(const std::string& name, std::unique_ptr<Layer> layer) {
  Entry e;
  e.name = name;
  e.in = layers_.empty() ? sample_ : layers_.back().out;
  e.out = layer->output_shape(e.in);
  e.param_offset = param_count_;
  const std::vector<ParamSpec> specs = layer->params();
  size_t total = 0;
  for (const ParamSpec& s : specs) total += s.count;
  // One aligned slice per layer; its tensors follow each other inside it (weight, then bias).
  if (total) e.param_storage = layout_.add(total);
  size_t within = 0;
  for (const ParamSpec& s : specs) {
    tensors_.push_back({name + "." + s.name, param_count_, s.count, s.fan_in, s.dims,
                        s.name == "bias", e.param_storage + within});
    param_count_ += s.count;
    within += s.count;
  }
  e.param_count = param_count_ - e.param_offset;
  e.layer = std::move(layer);
  layers_.push_back(std::move(e));
}

double Network::forward_flops(int batch) const {
  double f = 0;
  for (const Entry& e : layers_) f += e.layer->forward_flops(with_n(e.in, batch));
  return f;
}

void Network::plan(Arena& arena, int max_batch) {
  HEP2_CHECK(!layers_.empty(), "an empty network cannot be planned");
  HEP2_CHECK(max_batch > 0, "batch ", max_batch);
  max_batch_ = max_batch;
  size_t largest = sample_.per_sample();
  for (Entry& e : layers_) {
    Shape4 out = with_n(e.out, max_batch);
    e.y = arena.take<float>(out.count());
    e.layer->plan(arena, with_n(e.in, max_batch));
    largest = std::max(largest, e.out.per_sample());
  }
  grad_[0] = arena.take<float>(largest * max_batch);
  grad_[1] = arena.take<float>(largest * max_batch);
}

const float* Network::forward(const Pass& p, int batch, const float* x, const float* params,
                              size_t end) {
  HEP2_CHECK(batch >= 1 && batch <= max_batch_, "batch ", batch, " outside the planned 1..",
             max_batch_);
  end = std::min(end, layers_.size());
  const float* in = x;
  for (size_t i = 0; i < end; ++i) {
    Entry& e = layers_[i];
    // Each layer gets its own random stream, so two dropout layers never share a mask.
    Pass lp{p.be, p.training, uint64_t(hash_u32(p.seed, i)) << 32 | hash_u32(p.seed, i + 1000),
            p.first};
    e.layer->forward(lp, with_n(e.in, batch), in,
                     e.param_count ? params + e.param_storage : nullptr, e.y);
    if (hook_) hook_(hook_ctx_, i, false);
    in = e.y;
  }
  return in;
}

void Network::backward(const Pass& p, int batch, const float* x, const float* params,
                       float* grads) {
  for (size_t i = layers_.size(); i-- > 0;) {
    Entry& e = layers_[i];
    const float* in = i ? layers_[i - 1].y : x;
    float* dy = grad_[i % 2];
    float* dx = i ? grad_[(i + 1) % 2] : nullptr;
    Pass lp{p.be, p.training, 0};
    e.layer->backward(lp, with_n(e.in, batch), in, e.y, dy, dx,
                      e.param_count ? params + e.param_storage : nullptr,
                      e.param_count ? grads + e.param_storage : nullptr);
    if (hook_) hook_(hook_ctx_, i, true);
  }
}

}  // namespace hep2
