// One allocation for everything an optimiser touches: parameters, gradients and two moment
// buffers, each `count` floats, back to back. Layers see views into it; the optimiser runs over it
// as one flat vector (one kernel launch, one loop).
#pragma once
#include <vector>

#include "hep2/core/arena.h"
#include "hep2/nn/network.h"

namespace hep2 {

enum class InitScheme {
  Torch,    // PyTorch's default for Conv/Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
  He,       // Kaiming-uniform for ReLU nets: weight U(-sqrt(6/fan_in), +), bias 0
};

class ParamBlock {
 public:
  ParamBlock() = default;
  ParamBlock(Backend& be, size_t count);
  size_t count() const { return count_; }
  float* params() const { return all_.data(); }
  float* grads() const { return all_.data() + count_; }
  float* moment1() const { return all_.data() + 2 * count_; }
  float* moment2() const { return all_.data() + 3 * count_; }
  size_t bytes() const { return all_.bytes(); }

  // Fills the parameters on the host from a seeded generator and uploads them; zeroes the rest.
  void init(Backend& be, const std::vector<ParamTensor>& tensors, InitScheme scheme, uint64_t seed);
  void set_params(Backend& be, const std::vector<float>& host);  // also zeroes grads and moments
  std::vector<float> get_params(Backend& be) const;
  std::vector<float> get_grads(Backend& be) const;
  // All four sections (for checkpoints: optimiser moments must survive a resume).
  std::vector<float> get_all(Backend& be) const;
  void set_all(Backend& be, const std::vector<float>& host);

 private:
  Buffer<float> all_;
  size_t count_ = 0;
};

}  // namespace hep2
