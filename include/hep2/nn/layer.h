// The layer interface of the nn level: a layer is a pure function of its input and parameters.
// It does not own its parameters (the network hands it views into one flat buffer, in PyTorch
// order: weight then bias) nor its activations (the network carves them from one arena); the
// only state it keeps is the scratch that must survive from forward to backward (pool argmax,
// dropout mask), also carved from the network's arena in plan().
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/arena.h"
#include "hep2/core/shape.h"

namespace hep2 {

// One parameter tensor of a layer. fan_in drives the initialisation bound.
struct ParamSpec {
  std::string name;  // "weight" or "bias"
  size_t count = 0;
  int fan_in = 1;
  std::vector<int> dims;  // PyTorch shape, for reports and checkpoints
};

// What a pass needs besides tensors.
struct Pass {
  Backend& be;
  bool training = false;
  uint64_t seed = 0;  // per-step randomness (dropout); layers derive their own stream from it
  // Where this batch's first sample sits in the step's global batch (a data-parallel replica's
  // part starts there): a layer's per-element draws continue the whole batch's (seed_at), so a
  // sample gets the same mask whatever part of the batch it is computed in. 0: the whole batch.
  uint64_t first = 0;
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string kind() const = 0;  // "conv2d", "deconv2d", ... for reports
  virtual std::string describe() const = 0;  // e.g. "conv2d 3x3 1->32 pad 1 relu"
  // Shape of the output for this input; throws Error when the input does not fit the layer.
  virtual Shape4 output_shape(const Shape4& in) const = 0;
  virtual std::vector<ParamSpec> params() const { return {}; }
  // Carve forward-to-backward scratch for inputs of shape `in` (the largest batch).
  virtual void plan(Arena&, const Shape4& /*in*/) {}
  // y = layer(x). w: this layer's parameters (null when it has none).
  virtual void forward(const Pass& p, const Shape4& in, const float* x, const float* w, float* y) = 0;
  // Given y and dy (which the layer may overwrite, e.g. to apply its activation's gradient),
  // writes dx (unless null: the first layer needs no input gradient) and dw (this layer's grads).
  virtual void backward(const Pass& p, const Shape4& in, const float* x, const float* y, float* dy,
                        float* dx, const float* w, float* dw) = 0;
  // Floating-point operations of one forward pass (multiply-add = 2), for benchmarks.
  virtual double forward_flops(const Shape4& /*in*/) const { return 0; }
};

}  // namespace hep2
