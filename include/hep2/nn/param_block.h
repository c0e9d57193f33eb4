// One allocation for everything an optimiser touches: parameters, gradients and two moment
// buffers, four sections of the same padded layout (param_layout.h) back to back. Each section,
// and each layer's slice inside it, starts on a 256-byte boundary, so every weight tensor and
// every weight gradient handed to cuDNN or cuBLAS is 256-byte aligned. Layers see views into it;
// the optimiser runs over it as one flat vector (one kernel launch, one loop; the padding is
// zero and stays zero).
//
// The host transfers (get/set_params, get_grads, get/set_all) speak the packed vector of
// count() values per section, in PyTorch order: checkpoints, fixtures and tests never see the
// padding, and the checkpoint format is the same as when the sections were packed.
#pragma once
#include <vector>

#include "hep2/core/arena.h"
#include "hep2/nn/network.h"
#include "hep2/nn/param_layout.h"

namespace hep2 {

enum class InitScheme {
  Torch,    // PyTorch's default for Conv/Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
  He,       // Kaiming-uniform for ReLU nets: weight U(-sqrt(6/fan_in), +), bias 0
};

class ParamBlock {
 public:
  ParamBlock() = default;
  ParamBlock(Backend& be, ParamLayout layout);
  // A single unpadded slice of `count` values (one tensor; no layer structure to align).
  ParamBlock(Backend& be, size_t count) : ParamBlock(be, ParamLayout::packed(count)) {}
  size_t count() const { return layout_.count(); }    // values of the packed vector
  size_t stride() const { return layout_.stride(); }  // floats of each section in the buffer
  const ParamLayout& layout() const { return layout_; }
  float* params() const { return all_.data(); }
  float* grads() const { return all_.data() + stride(); }
  float* moment1() const { return all_.data() + 2 * stride(); }
  float* moment2() const { return all_.data() + 3 * stride(); }
  size_t bytes() const { return all_.bytes(); }

  // Fills the parameters on the host from a seeded generator and uploads them; zeroes the rest.
  // Tensor offsets are those of the packed vector (ParamTensor::offset).
  void init(Backend& be, const std::vector<ParamTensor>& tensors, InitScheme scheme, uint64_t seed);
  void set_params(Backend& be, const std::vector<float>& host);  // also zeroes grads and moments
  std::vector<float> get_params(Backend& be) const;
  std::vector<float> get_grads(Backend& be) const;
  // All four sections, packed one after the other (4 x count() values: parameters, gradients,
  // first and second moments), for checkpoints: optimiser moments must survive a resume.
  std::vector<float> get_all(Backend& be) const;
  void set_all(Backend& be, const std::vector<float>& host);

 private:
  std::vector<float> get_section(Backend& be, const float* section) const;

  ParamLayout layout_;
  Buffer<float> all_;
};

}  // namespace hep2
