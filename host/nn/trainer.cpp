// Trainer: the arena layout (sized by carving once on a counting arena) and the two steps.
#include "hep2/nn/trainer.h"

#include "hep2/core/error.h"

namespace hep2 {

Trainer::Trainer(Backend& be, Network net, int max_batch, OptimizerConfig opt)
    : be_(be), net_(std::move(net)), max_batch_(max_batch), block_(be, net_.param_layout()),
      opt_(opt) {
  if (max_batch < 1) fail("batch size ", max_batch, " must be at least 1");
  Arena counting = Arena::counting();
  carve(counting);
  arena_ = Arena(be, counting.peak());
  carve(arena_);
}

void Trainer::carve(Arena& a) {
  a.reset();
  net_.plan(a, max_batch_);
  size_t out = net_.output_shape(net_.layer_count() - 1, max_batch_).count();
  recon_ = a.take<float>(out);
  probs_ = recon_;  // the two models use the same slot for their loss-side output
  loss_ = a.take<float>(1);
}

void Trainer::init(InitScheme scheme, uint64_t seed) {
  block_.init(be_, net_.param_tensors(), scheme, seed);
  opt_.set_steps(0);
}

const float* Trainer::forward(int batch, const float* x, bool training, uint64_t seed,
                              size_t end) {
  // The activation arena holds max_batch samples: a larger batch would write past it.
  HEP2_CHECK(batch >= 1 && batch <= max_batch_, "batch ", batch, " outside the planned 1..",
             max_batch_);
  return net_.forward(Pass{be_, training, seed}, batch, x, block_.params(), end);
}

void Trainer::ae_loss_and_grad(int batch, const float* x, float* loss_out, const float* target) {
  const float* z = forward(batch, x, true, 0);
  size_t count = net_.input_shape(batch).count();
  HEP2_CHECK(net_.output_shape(net_.layer_count() - 1, batch).count() == count,
             "the autoencoder's output must have the input's shape");
  const float* t = target ? target : x;
  const bool bce = ae_objective_ == AeObjective::CrossEntropy;
  be_.sigmoid_mse(count, z, t, recon_, bce ? nullptr : net_.output_grad(),
                  loss_out ? loss_out : loss_);
  if (bce) be_.sigmoid_bce_grad(count, recon_, t, net_.output_grad());
  net_.backward(Pass{be_, true, 0}, batch, x, block_.params(), block_.grads());
}

void Trainer::ae_step(int batch, const float* x, float lr_scale, float* loss_out,
                      const float* target) {
  ae_loss_and_grad(batch, x, loss_out, target);
  if (hook_) hook_(block_, loss_out ? loss_out : loss_, batch);
  opt_.step(be_, block_, lr_scale);
}

void Trainer::empty_step(float lr_scale, float* loss_out) {
  HEP2_CHECK(hook_, "an empty step only makes sense for a replica of data-parallel training");
  float* loss = loss_out ? loss_out : loss_;
  be_.fill(block_.grads(), block_.count(), 0.f);
  be_.fill(loss, 1, 0.f);
  hook_(block_, loss, 0);
  opt_.step(be_, block_, lr_scale);
}

void Trainer::clf_loss_and_grad(int batch, const float* x, const int32_t* labels, uint64_t seed,
                                float* loss_out, int first) {
  HEP2_CHECK(batch >= 1 && batch <= max_batch_, "batch ", batch, " outside the planned 1..",
             max_batch_);
  HEP2_CHECK(first >= 0, "a part of a batch starting at ", first);
  const float* z = net_.forward(Pass{be_, true, seed, uint64_t(first)}, batch, x, block_.params());
  int classes = net_.output_shape(net_.layer_count() - 1, batch).c;
  be_.softmax_xent(batch, classes, z, labels, probs_, net_.output_grad(),
                   loss_out ? loss_out : loss_);
  net_.backward(Pass{be_, true, seed}, batch, x, block_.params(), block_.grads());
}

void Trainer::clf_step(int batch, const float* x, const int32_t* labels, uint64_t seed,
                       float lr_scale, float* loss_out, int first) {
  clf_loss_and_grad(batch, x, labels, seed, loss_out, first);
  if (hook_) hook_(block_, loss_out ? loss_out : loss_, batch);
  opt_.step(be_, block_, lr_scale);
}

float Trainer::read_loss() {
  float v = 0;
  be_.download(&v, loss_, sizeof(float));
  return v;
}

}  // namespace hep2
