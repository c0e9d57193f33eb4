// The concrete layers: convolution, transposed convolution, 2x2 max-pool, x2 up-sampling, dense
// and dropout. Activations are fused into the layers that produce them (Act), which saves a pass
// over memory forward and backward.
#pragma once
#include <memory>

#include "hep2/nn/layer.h"

namespace hep2 {

class Conv2d : public Layer {
 public:
  Conv2d(int c_in, int c_out, int k, int pad, Act act, int stride = 1);
  std::string kind() const override { return "conv2d"; }
  std::string describe() const override;
  Shape4 output_shape(const Shape4& in) const override;
  std::vector<ParamSpec> params() const override;
  void forward(const Pass&, const Shape4&, const float*, const float*, float*) override;
  void backward(const Pass&, const Shape4&, const float*, const float*, float*, float*,
                const float*, float*) override;
  double forward_flops(const Shape4& in) const override;

 private:
  ConvGeom geom(const Shape4& in) const;
  int c_in_, c_out_, k_, pad_, stride_;
  Act act_;
};

class Deconv2d : public Layer {
 public:
  Deconv2d(int c_in, int c_out, int k, int stride, int pad, Act act);
  std::string kind() const override { return "deconv2d"; }
  std::string describe() const override;
  Shape4 output_shape(const Shape4& in) const override;
  std::vector<ParamSpec> params() const override;
  void forward(const Pass&, const Shape4&, const float*, const float*, float*) override;
  void backward(const Pass&, const Shape4&, const float*, const float*, float*, float*,
                const float*, float*) override;
  double forward_flops(const Shape4& in) const override;

 private:
  ConvGeom geom(const Shape4& in) const;
  int c_in_, c_out_, k_, stride_, pad_;
  Act act_;
};

class MaxPool2 : public Layer {
 public:
  std::string kind() const override { return "maxpool2"; }
  std::string describe() const override { return "maxpool 2x2"; }
  Shape4 output_shape(const Shape4& in) const override;
  void plan(Arena& arena, const Shape4& in) override;
  void forward(const Pass&, const Shape4&, const float*, const float*, float*) override;
  void backward(const Pass&, const Shape4&, const float*, const float*, float*, float*,
                const float*, float*) override;

 private:
  int32_t* argmax_ = nullptr;
};

class Upsample2 : public Layer {
 public:
  std::string kind() const override { return "upsample2"; }
  std::string describe() const override { return "nearest up-sample x2"; }
  Shape4 output_shape(const Shape4& in) const override;
  void forward(const Pass&, const Shape4&, const float*, const float*, float*) override;
  void backward(const Pass&, const Shape4&, const float*, const float*, float*, float*,
                const float*, float*) override;
};

class Dense : public Layer {
 public:
  Dense(int in, int out, Act act);
  std::string kind() const override { return "dense"; }
  std::string describe() const override;
  Shape4 output_shape(const Shape4& in) const override;
  std::vector<ParamSpec> params() const override;
  void forward(const Pass&, const Shape4&, const float*, const float*, float*) override;
  void backward(const Pass&, const Shape4&, const float*, const float*, float*, float*,
                const float*, float*) override;
  double forward_flops(const Shape4& in) const override;

 private:
  int in_, out_;
  Act act_;
};

// Inverted dropout: identity at inference, x * mask at training time.
class Dropout : public Layer {
 public:
  explicit Dropout(float p);
  std::string kind() const override { return "dropout"; }
  std::string describe() const override;
  Shape4 output_shape(const Shape4& in) const override { return in; }
  void plan(Arena& arena, const Shape4& in) override;
  void forward(const Pass&, const Shape4&, const float*, const float*, float*) override;
  void backward(const Pass&, const Shape4&, const float*, const float*, float*, float*,
                const float*, float*) override;

 private:
  float p_;
  float* mask_ = nullptr;
  bool last_training_ = false;
};

}  // namespace hep2
