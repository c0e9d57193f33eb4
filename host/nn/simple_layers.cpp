// The layers without parameters (max-pool, up-sample, dropout) and the dense layer.
#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/nn/layers.h"

namespace hep2 {

// ---- MaxPool2 -----------------------------------------------------------------------------------

Shape4 MaxPool2::output_shape(const Shape4& in) const {
  if (in.h < 2 || in.w < 2) fail("maxpool 2x2: input ", in.h, "x", in.w, " is smaller than 2x2");
  return {in.n, in.c, in.h / 2, in.w / 2};
}

void MaxPool2::plan(Arena& arena, const Shape4& in) {
  argmax_ = arena.take<int32_t>(output_shape(in).count());
}

void MaxPool2::forward(const Pass& p, const Shape4& in, const float* x, const float*, float* y) {
  p.be.maxpool2_forward(in, x, y, argmax_);
}

void MaxPool2::backward(const Pass& p, const Shape4& in, const float*, const float*, float* dy,
                        float* dx, const float*, float*) {
  if (dx) p.be.maxpool2_backward(in, dy, argmax_, dx);
}

// ---- Upsample2 ----------------------------------------------------------------------------------

Shape4 Upsample2::output_shape(const Shape4& in) const { return {in.n, in.c, in.h * 2, in.w * 2}; }

void Upsample2::forward(const Pass& p, const Shape4& in, const float* x, const float*, float* y) {
  p.be.upsample2_forward(in, x, y);
}

void Upsample2::backward(const Pass& p, const Shape4& in, const float*, const float*, float* dy,
                         float* dx, const float*, float*) {
  if (dx) p.be.upsample2_backward(in, dy, dx);
}

// ---- Dense --------------------------------------------------------------------------------------

Dense::Dense(int in, int out, Act act) : in_(in), out_(out), act_(act) {
  if (in < 1 || out < 1) fail("dense: invalid size ", in, " -> ", out);
}

std::string Dense::describe() const {
  return "dense " + std::to_string(in_) + "->" + std::to_string(out_) +
         (act_ == Act::Relu ? " relu" : "");
}

Shape4 Dense::output_shape(const Shape4& in) const {
  if (int(in.per_sample()) != in_)
    fail(describe(), ": input has ", in.per_sample(), " values per sample, expected ", in_);
  return {in.n, out_, 1, 1};
}

std::vector<ParamSpec> Dense::params() const {
  return {{"weight", size_t(out_) * in_, in_, {out_, in_}}, {"bias", size_t(out_), in_, {out_}}};
}

void Dense::forward(const Pass& p, const Shape4& in, const float* x, const float* w, float* y) {
  p.be.dense_forward(in.n, in_, out_, x, w, w + size_t(out_) * in_, act_, y);
}

void Dense::backward(const Pass& p, const Shape4& in, const float* x, const float* y, float* dy,
                     float* dx, const float* w, float* dw) {
  if (act_ == Act::Relu) p.be.relu_backward(size_t(in.n) * out_, y, dy, dy);
  p.be.dense_backward(in.n, in_, out_, x, w, dy, dx, dw, dw + size_t(out_) * in_);
}

double Dense::forward_flops(const Shape4& in) const { return 2.0 * in.n * double(in_) * out_; }

// ---- Dropout ------------------------------------------------------------------------------------

Dropout::Dropout(float p) : p_(p) {
  if (!(p >= 0.f && p < 1.f)) fail("dropout: probability ", p, " is outside [0, 1)");
}

std::string Dropout::describe() const { return "dropout p=" + std::to_string(p_).substr(0, 4); }

void Dropout::plan(Arena& arena, const Shape4& in) { mask_ = arena.take<float>(in.count()); }

void Dropout::forward(const Pass& p, const Shape4& in, const float* x, const float*, float* y) {
  last_training_ = p.training && p_ > 0.f;
  if (last_training_)
    p.be.dropout_forward(in.count(), p_, seed_at(p.seed, p.first * in.per_sample()), x, mask_, y);
  else if (x != y)
    p.be.copy(y, x, in.count() * sizeof(float));
}

void Dropout::backward(const Pass& p, const Shape4& in, const float*, const float*, float* dy,
                       float* dx, const float*, float*) {
  if (!dx) return;
  if (last_training_)
    p.be.dropout_backward(in.count(), mask_, dy, dx);
  else if (dx != dy)
    p.be.copy(dx, dy, in.count() * sizeof(float));
}

}  // namespace hep2
