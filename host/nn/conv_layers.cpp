// Convolution and transposed-convolution layers: shape checks, parameter specs and the calls into
// the backend. The activation is fused: forward applies it, backward first turns dy into the
// gradient before the activation (in place, using the saved output y).
#include <cmath>

#include "hep2/core/error.h"
#include "hep2/nn/layers.h"

namespace hep2 {
namespace {
const char* act_name(Act a) { return a == Act::Relu ? " relu" : ""; }
}  // namespace

// ---- Conv2d -------------------------------------------------------------------------------------

Conv2d::Conv2d(int c_in, int c_out, int k, int pad, Act act, int stride)
    : c_in_(c_in), c_out_(c_out), k_(k), pad_(pad), stride_(stride), act_(act) {
  if (c_in < 1 || c_out < 1 || k < 1 || pad < 0 || stride < 1)
    fail("conv2d: invalid configuration c_in=", c_in, " c_out=", c_out, " k=", k, " pad=", pad,
         " stride=", stride);
}

std::string Conv2d::describe() const {
  return "conv2d " + std::to_string(k_) + "x" + std::to_string(k_) + " " + std::to_string(c_in_) +
         "->" + std::to_string(c_out_) + " pad " + std::to_string(pad_) +
         (stride_ > 1 ? " stride " + std::to_string(stride_) : std::string()) + act_name(act_);
}

ConvGeom Conv2d::geom(const Shape4& in) const {
  return ConvGeom{in.n, c_in_, in.h, in.w, c_out_, k_, k_, stride_, pad_};
}

Shape4 Conv2d::output_shape(const Shape4& in) const {
  if (in.c != c_in_) fail(describe(), ": input has ", in.c, " channels, expected ", c_in_);
  ConvGeom g = geom(in);
  if (g.conv_out_h() < 1 || g.conv_out_w() < 1)
    fail(describe(), ": input ", in.h, "x", in.w, " is smaller than the kernel");
  return g.conv_output();
}

std::vector<ParamSpec> Conv2d::params() const {
  int fan_in = c_in_ * k_ * k_;
  return {{"weight", size_t(c_out_) * c_in_ * k_ * k_, fan_in, {c_out_, c_in_, k_, k_}},
          {"bias", size_t(c_out_), fan_in, {c_out_}}};
}

void Conv2d::forward(const Pass& p, const Shape4& in, const float* x, const float* w, float* y) {
  ConvGeom g = geom(in);
  p.be.conv2d_forward(g, x, w, w + g.weight_count(), act_, y);
}

void Conv2d::backward(const Pass& p, const Shape4& in, const float* x, const float* y, float* dy,
                      float* dx, const float* w, float* dw) {
  ConvGeom g = geom(in);
  if (act_ == Act::Relu) p.be.relu_backward(g.conv_output().count(), y, dy, dy);
  p.be.conv2d_backward_filter(g, x, dy, dw, dw + g.weight_count());
  if (dx) p.be.conv2d_backward_data(g, dy, w, dx);
}

double Conv2d::forward_flops(const Shape4& in) const {
  return 2.0 * double(geom(in).conv_output().count()) * c_in_ * k_ * k_;
}

// ---- Deconv2d -----------------------------------------------------------------------------------

Deconv2d::Deconv2d(int c_in, int c_out, int k, int stride, int pad, Act act)
    : c_in_(c_in), c_out_(c_out), k_(k), stride_(stride), pad_(pad), act_(act) {
  if (c_in < 1 || c_out < 1 || k < 1 || pad < 0 || stride < 1)
    fail("deconv2d: invalid configuration c_in=", c_in, " c_out=", c_out, " k=", k,
         " stride=", stride, " pad=", pad);
}

std::string Deconv2d::describe() const {
  return "deconv2d " + std::to_string(k_) + "x" + std::to_string(k_) + " stride " +
         std::to_string(stride_) + " " + std::to_string(c_in_) + "->" + std::to_string(c_out_) +
         " pad " + std::to_string(pad_) + act_name(act_);
}

ConvGeom Deconv2d::geom(const Shape4& in) const {
  return ConvGeom{in.n, c_in_, in.h, in.w, c_out_, k_, k_, stride_, pad_};
}

Shape4 Deconv2d::output_shape(const Shape4& in) const {
  if (in.c != c_in_) fail(describe(), ": input has ", in.c, " channels, expected ", c_in_);
  ConvGeom g = geom(in);
  if (g.deconv_out_h() < 1 || g.deconv_out_w() < 1)
    fail(describe(), ": input ", in.h, "x", in.w, " gives an empty output");
  return g.deconv_output();
}

std::vector<ParamSpec> Deconv2d::params() const {
  // PyTorch's fan-in of a ConvTranspose2d weight (c_in x c_out x k x k) is computed from dim 1.
  int fan_in = c_out_ * k_ * k_;
  return {{"weight", size_t(c_in_) * c_out_ * k_ * k_, fan_in, {c_in_, c_out_, k_, k_}},
          {"bias", size_t(c_out_), fan_in, {c_out_}}};
}

void Deconv2d::forward(const Pass& p, const Shape4& in, const float* x, const float* w, float* y) {
  ConvGeom g = geom(in);
  p.be.deconv2d_forward(g, x, w, w + g.weight_count(), act_, y);
}

void Deconv2d::backward(const Pass& p, const Shape4& in, const float* x, const float* y,
                        float* dy, float* dx, const float* w, float* dw) {
  ConvGeom g = geom(in);
  if (act_ == Act::Relu) p.be.relu_backward(g.deconv_output().count(), y, dy, dy);
  p.be.deconv2d_backward_filter(g, x, dy, dw, dw + g.weight_count());
  if (dx) p.be.deconv2d_backward_data(g, dy, w, dx);
}

double Deconv2d::forward_flops(const Shape4& in) const {
  // Every input pixel is scattered through the full kernel: the work is that of the adjoint conv.
  return 2.0 * double(in.count()) * c_out_ * k_ * k_;
}

}  // namespace hep2
