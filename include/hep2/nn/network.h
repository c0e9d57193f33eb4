// A feed-forward chain of layers with one flat parameter vector and activations carved from an arena.
// The network knows the parameter table (name, offset, size, PyTorch shape of every tensor) and,
// once planned for a batch size, where every activation lives. It owns no parameter memory: the
// caller passes the parameter and gradient pointers (views into a ParamBlock).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "hep2/nn/layer.h"
#include "hep2/nn/param_layout.h"

namespace hep2 {

struct ParamTensor {
  std::string name;  // "enc1.conv.weight"
  size_t offset = 0, count = 0;  // in the packed parameter vector
  int fan_in = 1;
  std::vector<int> dims;
  bool is_bias = false;
  size_t storage = 0;  // offset in each section of the padded buffer (param_layout.h)
};

class Network {
 public:
  // sample: the shape of one input sample (n is ignored).
  explicit Network(Shape4 sample) : sample_(sample) { sample_.n = 1; }
  Network(Network&&) = default;
  Network& operator=(Network&&) = default;

  // Appends a layer; `name` prefixes its parameter names ("enc1.conv" -> "enc1.conv.weight").
  void add(const std::string& name, std::unique_ptr<Layer> layer);

  size_t layer_count() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_[i].layer; }
  const std::string& layer_name(size_t i) const { return layers_[i].name; }
  Shape4 input_shape(int batch) const { return with_n(sample_, batch); }
  Shape4 output_shape(size_t i, int batch) const { return with_n(layers_[i].out, batch); }
  size_t param_count() const { return param_count_; }  // values of the packed vector
  const std::vector<ParamTensor>& param_tensors() const { return tensors_; }
  size_t param_offset(size_t layer) const { return layers_[layer].param_offset; }
  // Where each layer's parameters are in the buffer that forward() and backward() are given (a
  // ParamBlock made from this layout): 256-byte aligned slices, see param_layout.h.
  const ParamLayout& param_layout() const { return layout_; }
  double forward_flops(int batch) const;

  // Carves activations, two gradient buffers and layer scratch for batches up to max_batch.
  void plan(Arena& arena, int max_batch);
  int max_batch() const { return max_batch_; }

  // Runs layers [0, end) (all by default) on `batch` samples at x; returns the last output.
  // params (and grads in backward) are sections laid out by param_layout().
  const float* forward(const Pass& p, int batch, const float* x, const float* params,
                       size_t end = size_t(-1));
  // The gradient of the loss with respect to the network output must be in output_grad()
  // (written by the loss); fills grads (the whole flat gradient vector).
  void backward(const Pass& p, int batch, const float* x, const float* params, float* grads);
  float* output_grad() { return grad_[(layers_.size() - 1) % 2]; }
  const float* activation(size_t i) const { return layers_[i].y; }
  // Per-layer timing hook for benchmarks: called after each layer with its index and direction.
  using LayerHook = void (*)(void* ctx, size_t layer, bool backward);
  void set_layer_hook(LayerHook hook, void* ctx) {
    hook_ = hook;
    hook_ctx_ = ctx;
  }

 private:
  static Shape4 with_n(Shape4 s, int n) {
    s.n = n;
    return s;
  }
  struct Entry {
    std::string name;
    std::unique_ptr<Layer> layer;
    Shape4 in, out;  // per sample
    size_t param_offset = 0, param_count = 0;
    size_t param_storage = 0;  // offset in the padded buffer
    float* y = nullptr;
  };
  Shape4 sample_;
  std::vector<Entry> layers_;
  std::vector<ParamTensor> tensors_;
  size_t param_count_ = 0;
  ParamLayout layout_;
  int max_batch_ = 0;
  float* grad_[2] = {nullptr, nullptr};  // ping-pong: dy of layer i and dx of layer i
  LayerHook hook_ = nullptr;
  void* hook_ctx_ = nullptr;
};

}  // namespace hep2
