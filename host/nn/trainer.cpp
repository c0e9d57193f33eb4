// Trainer: the arena layout (sized by carving once on a counting arena), the two steps, and the
// captured (CUDA graph) form of the autoencoder step.
#include "hep2/nn/trainer.h"

#include "hep2/core/error.h"

namespace hep2 {

Trainer::Trainer(Backend& be, Network net, int max_batch, OptimizerConfig opt)
    : be_(be), net_(std::move(net)), max_batch_(max_batch), block_(be, net_.param_layout()),
      opt_(be, opt) {
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

void Trainer::ae_step_uncaptured(int batch, const float* x, float* loss, const float* target) {
  ae_loss_and_grad(batch, x, loss, target);
  if (hook_) hook_(block_, loss, batch);
  opt_.step(block_);
}

void Trainer::ae_step(int batch, const float* x, float* loss_out, const float* target) {
  float* loss = loss_out ? loss_out : loss_;
  if (!graphs_on_) {
    ae_step_uncaptured(batch, x, loss, target);
    return;
  }
  if (StepGraph* g = graph_for(batch, x, target)) {
    g->work->replay();
    // The graph writes the loss to the trainer's own slot; the caller's slot may differ per step.
    if (loss != loss_) be_.copy(loss, loss_, sizeof(float));
    return;
  }
  // First step of its kind: run it as usual (building the convolution plans and sizing the
  // workspaces, which a capture cannot do), then capture it for the steps that follow. Capturing
  // runs nothing, so this step is taken once.
  ae_step_uncaptured(batch, x, loss, target);
  StepGraph g;
  g.batch = batch;
  g.x = x;
  g.target = target;
  g.objective = ae_objective_;
  g.schedule = opt_.schedule();
  g.scratch_generation = be_.scratch_generation();
  g.work = be_.capture([&] { ae_step_uncaptured(batch, x, loss_, target); });
  graphs_.push_back(std::move(g));
}

Trainer::StepGraph* Trainer::graph_for(int batch, const float* x, const float* target) {
  // A graph reads the scratch memory of its capture: once that moved (a larger step grew a
  // workspace), the graph is stale and its step is captured again.
  const uint64_t generation = be_.scratch_generation();
  std::erase_if(graphs_, [&](const StepGraph& g) { return g.scratch_generation != generation; });
  const math::StepSchedule& s = opt_.schedule();
  for (StepGraph& g : graphs_)
    if (g.batch == batch && g.x == x && g.target == target && g.objective == ae_objective_ &&
        g.schedule.lr == s.lr && g.schedule.beta1 == s.beta1 && g.schedule.beta2 == s.beta2 &&
        g.schedule.warmup_steps == s.warmup_steps && g.schedule.warmup_start == s.warmup_start)
      return &g;
  return nullptr;
}

void Trainer::set_step_graphs(bool on) {
  graphs_.clear();
  graphs_on_ = false;
  if (!on) return;
  if (!be_.can_capture())
    fail("CUDA graphs ({cuda_graph}) need the CUDA backend; ", be_.name(),
         " runs each op as it is called: drop the option or use {device} cuda");
  if (hook_)
    fail("CUDA graphs ({cuda_graph}) do not combine with data-parallel training yet: the gradient "
         "sum between ranks is not captured");
  graphs_on_ = true;
}

void Trainer::empty_step(float* loss_out) {
  HEP2_CHECK(hook_, "an empty step only makes sense for a replica of data-parallel training");
  float* loss = loss_out ? loss_out : loss_;
  be_.fill(block_.grads(), block_.count(), 0.f);
  be_.fill(loss, 1, 0.f);
  hook_(block_, loss, 0);
  opt_.step(block_);
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
                       float* loss_out, int first) {
  clf_loss_and_grad(batch, x, labels, seed, loss_out, first);
  if (hook_) hook_(block_, loss_out ? loss_out : loss_, batch);
  opt_.step(block_);
}

float Trainer::read_loss() {
  float v = 0;
  be_.download(&v, loss_, sizeof(float));
  return v;
}

}  // namespace hep2
