// Golden-value tests: each op of the Backend interface against PyTorch, through the interface, on
// the CPU backend. Fixtures come from tools/reference/make_fixtures.py, whose docstring lists every
// case's shapes and seeds; the inputs are regenerated here with the same counter hash and checked
// bit for bit against the stored copies, so a failure points at the op, not at the inputs.
// Dropout is not tested here: its mask comes from hep2's hash, which PyTorch does not share.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/arena.h"
#include "hep2/core/rng.h"
#include "support/golden.h"

namespace {

using hep2::Act;
using hep2::Buffer;
using hep2::ConvGeom;
using hep2::Shape4;
using hep2::golden::hash_fill;
using hep2::golden::load_f32;
using hep2::golden::load_i32;
using hep2::golden::near_rel_max;
using hep2::golden::same_bits;

// Tolerance: every element within 1e-4 of the expected tensor's largest magnitude. The expected
// values are PyTorch's float64 results (rounded to float32), so they carry no float32 error of
// their own. A float32 sum of n terms is off by at most n 2^-24 sum|terms|; the longest sums here
// have n = 84 (conv_a's filter gradient: 2 x 7 x 6) and sum|terms| <= 3.3 x the largest output
// (measured on these inputs), a worst case of 1.7e-5 of the max magnitude. PyTorch's own float32
// kernels land within 5e-7 (make_fixtures.py prints it per fixture). A wrong op (a missed tap, a
// shifted index, a flipped kernel, a lost bias or bias correction) moves elements by a whole
// product term, orders of magnitude above 1e-4.
constexpr double kRelTol = 1e-4;

std::vector<size_t> dims(const Shape4& s) {
  return {size_t(s.n), size_t(s.c), size_t(s.h), size_t(s.w)};
}

// ---- the cases (make_fixtures.py's docstring lists the same) ------------------------------------
struct ConvCase {
  std::string name;
  ConvGeom g;
  uint64_t seed;  // x: seed, w: seed + 1, b: seed + 2, dy: seed + 3
  bool transposed;

  Shape4 out() const { return transposed ? g.deconv_output() : g.conv_output(); }
  std::vector<size_t> weight_dims() const {
    const int first = transposed ? g.c_in : g.c_out, second = transposed ? g.c_out : g.c_in;
    return {size_t(first), size_t(second), size_t(g.k_h), size_t(g.k_w)};
  }
};

// ConvGeom fields: n, c_in, h, w, c_out, k_h, k_w, stride, pad.
const ConvCase kConv3x3{"conv_a", {2, 3, 7, 6, 5, 3, 3, 1, 1}, 10, false};
const ConvCase kConv5x3Stride2{"conv_b", {2, 2, 9, 10, 3, 5, 3, 2, 2}, 20, false};
const ConvCase kDeconv4x4Stride2{"deconv_a", {2, 3, 5, 6, 4, 4, 4, 2, 1}, 30, true};
const ConvCase kDeconv3x3{"deconv_b", {2, 4, 5, 4, 3, 3, 3, 1, 0}, 40, true};

struct ConvInputs {
  std::vector<float> x, w, b, dy;
};

// The inputs as the C++ side regenerates them, checked against the copies the script stored.
ConvInputs conv_inputs(const ConvCase& c) {
  ConvInputs in;
  in.x = hash_fill(c.seed, c.g.input().count(), -1, 1);
  in.w = hash_fill(c.seed + 1, c.g.weight_count(), -1, 1);
  in.b = hash_fill(c.seed + 2, size_t(c.g.c_out), -1, 1);
  in.dy = hash_fill(c.seed + 3, c.out().count(), -1, 1);
  EXPECT_TRUE(same_bits(in.x, load_f32(c.name + "_x", dims(c.g.input())))) << c.name << "_x";
  EXPECT_TRUE(same_bits(in.w, load_f32(c.name + "_w", c.weight_dims()))) << c.name << "_w";
  EXPECT_TRUE(same_bits(in.b, load_f32(c.name + "_b", {size_t(c.g.c_out)}))) << c.name << "_b";
  EXPECT_TRUE(same_bits(in.dy, load_f32(c.name + "_dy", dims(c.out())))) << c.name << "_dy";
  return in;
}

// Optimizer cases: 53 weights hash_fill(seed, ...), step t = 1..3 gets hash_fill(seed + t, ...)
// scaled to [-s_t, s_t).
constexpr size_t kOptCount = 53;
constexpr float kGradScale[3] = {1.f, 2.f, 0.5f};

class GoldenOps : public ::testing::Test {
 protected:
  Buffer<float> upload(const std::vector<float>& v) {
    Buffer<float> b(*be_, v.size());
    be_->upload(b.data(), v.data(), b.bytes());
    return b;
  }
  Buffer<int32_t> upload_i32(const std::vector<int32_t>& v) {
    Buffer<int32_t> b(*be_, v.size());
    be_->upload(b.data(), v.data(), b.bytes());
    return b;
  }
  // Outputs start as NaN, which never passes a comparison: an element an op forgets to write fails.
  Buffer<float> nan_buffer(size_t count) {
    Buffer<float> b(*be_, count);
    be_->fill(b.data(), count, NAN);
    return b;
  }
  Buffer<float> zero_buffer(size_t count) {
    Buffer<float> b(*be_, count);
    be_->fill(b.data(), count, 0.f);
    return b;
  }
  template <class T>
  std::vector<T> download(const Buffer<T>& b) {
    std::vector<T> v(b.size());
    be_->download(v.data(), b.data(), b.bytes());
    return v;
  }
  void expect_near(const Buffer<float>& got, const std::string& fixture,
                   const std::vector<size_t>& shape) {
    EXPECT_TRUE(near_rel_max(download(got), load_f32(fixture, shape), kRelTol)) << fixture;
  }

  // ---- convolutions --------------------------------------------------------------------------
  void check_conv_forward(const ConvCase& c) {
    const ConvInputs in = conv_inputs(c);
    auto x = upload(in.x), w = upload(in.w), b = upload(in.b);
    for (Act act : {Act::None, Act::Relu}) {
      auto y = nan_buffer(c.out().count());
      if (c.transposed)
        be_->deconv2d_forward(c.g, x.data(), w.data(), b.data(), act, y.data());
      else
        be_->conv2d_forward(c.g, x.data(), w.data(), b.data(), act, y.data());
      expect_near(y, c.name + (act == Act::Relu ? "_y_relu" : "_y"), dims(c.out()));
    }
  }
  void check_conv_backward_data(const ConvCase& c) {
    const ConvInputs in = conv_inputs(c);
    auto w = upload(in.w), dy = upload(in.dy);
    auto dx = nan_buffer(c.g.input().count());
    if (c.transposed)
      be_->deconv2d_backward_data(c.g, dy.data(), w.data(), dx.data());
    else
      be_->conv2d_backward_data(c.g, dy.data(), w.data(), dx.data());
    expect_near(dx, c.name + "_dx", dims(c.g.input()));
  }
  void check_conv_backward_filter(const ConvCase& c) {
    const ConvInputs in = conv_inputs(c);
    auto x = upload(in.x), dy = upload(in.dy);
    auto dw = nan_buffer(c.g.weight_count()), db = nan_buffer(size_t(c.g.c_out));
    if (c.transposed)
      be_->deconv2d_backward_filter(c.g, x.data(), dy.data(), dw.data(), db.data());
    else
      be_->conv2d_backward_filter(c.g, x.data(), dy.data(), dw.data(), db.data());
    expect_near(dw, c.name + "_dw", c.weight_dims());
    expect_near(db, c.name + "_db", {size_t(c.g.c_out)});

    // Without a bias gradient the weight gradient is the same, to the bit (deterministic ops).
    auto dw2 = nan_buffer(c.g.weight_count());
    if (c.transposed)
      be_->deconv2d_backward_filter(c.g, x.data(), dy.data(), dw2.data(), nullptr);
    else
      be_->conv2d_backward_filter(c.g, x.data(), dy.data(), dw2.data(), nullptr);
    EXPECT_TRUE(same_bits(download(dw2), download(dw))) << c.name << ": dw with db == nullptr";
  }

  // ---- optimizers ------------------------------------------------------------------------------
  // Runs three steps of `step(w, g, state...)` from the case's weights and gradients.
  template <class StepFn>
  std::vector<float> run_three_steps(uint64_t seed, Buffer<float>& w, StepFn step) {
    const std::vector<float> w0 = hash_fill(seed, kOptCount, -1, 1);
    be_->upload(w.data(), w0.data(), w.bytes());
    for (int t = 1; t <= 3; ++t) {
      const float s = kGradScale[t - 1];
      auto g = upload(hash_fill(seed + uint64_t(t), kOptCount, -s, s));
      step(t, g);
    }
    return download(w);
  }
  void check_adam(const std::string& name, float weight_decay) {
    auto w = nan_buffer(kOptCount), m = zero_buffer(kOptCount), v = zero_buffer(kOptCount);
    hep2::math::AdamHyper h;
    h.lr = 1e-2f;
    h.beta1 = 0.9f;
    h.beta2 = 0.999f;
    h.eps = 1e-8f;
    h.weight_decay = weight_decay;
    run_three_steps(100, w, [&](int t, const Buffer<float>& g) {
      // The bias corrections as torch computes them: 1 - beta^t in double.
      h.bc1 = float(1.0 - std::pow(0.9, t));
      h.bc2 = float(1.0 - std::pow(0.999, t));
      be_->adam_step(kOptCount, w.data(), g.data(), m.data(), v.data(), h);
    });
    expect_near(w, name + "_w3", {kOptCount});
    expect_near(m, name + "_m3", {kOptCount});
    expect_near(v, name + "_v3", {kOptCount});
  }
  void check_sgd(const std::string& name, float weight_decay) {
    auto w = nan_buffer(kOptCount), buf = zero_buffer(kOptCount);
    hep2::math::SgdHyper h;
    h.lr = 0.1f;
    h.momentum = 0.9f;
    h.weight_decay = weight_decay;
    run_three_steps(120, w, [&](int, const Buffer<float>& g) {
      be_->sgd_step(kOptCount, w.data(), g.data(), buf.data(), h);
    });
    expect_near(w, name + "_w3", {kOptCount});
    expect_near(buf, name + "_buf3", {kOptCount});
  }

  std::unique_ptr<hep2::Backend> be_ = hep2::make_cpu_backend(1);
};

}  // namespace

// ---- convolution --------------------------------------------------------------------------------
TEST_F(GoldenOps, Conv3x3Pad1Forward) { check_conv_forward(kConv3x3); }
TEST_F(GoldenOps, Conv3x3Pad1BackwardData) { check_conv_backward_data(kConv3x3); }
TEST_F(GoldenOps, Conv3x3Pad1BackwardFilter) { check_conv_backward_filter(kConv3x3); }
TEST_F(GoldenOps, Conv5x3Stride2Forward) { check_conv_forward(kConv5x3Stride2); }
TEST_F(GoldenOps, Conv5x3Stride2BackwardData) { check_conv_backward_data(kConv5x3Stride2); }
TEST_F(GoldenOps, Conv5x3Stride2BackwardFilter) { check_conv_backward_filter(kConv5x3Stride2); }

// ---- transposed convolution ---------------------------------------------------------------------
TEST_F(GoldenOps, Deconv4x4Stride2Forward) { check_conv_forward(kDeconv4x4Stride2); }
TEST_F(GoldenOps, Deconv4x4Stride2BackwardData) { check_conv_backward_data(kDeconv4x4Stride2); }
TEST_F(GoldenOps, Deconv4x4Stride2BackwardFilter) { check_conv_backward_filter(kDeconv4x4Stride2); }
TEST_F(GoldenOps, Deconv3x3Forward) { check_conv_forward(kDeconv3x3); }
TEST_F(GoldenOps, Deconv3x3BackwardData) { check_conv_backward_data(kDeconv3x3); }
TEST_F(GoldenOps, Deconv3x3BackwardFilter) { check_conv_backward_filter(kDeconv3x3); }

// ---- pooling and up-sampling --------------------------------------------------------------------
TEST_F(GoldenOps, MaxPool2OddSizesForwardAndBackward) {
  const Shape4 in{2, 3, 7, 9}, out{2, 3, 3, 4};
  const std::vector<float> xs = hash_fill(50, in.count(), -1, 1);
  const std::vector<float> dys = hash_fill(51, out.count(), -1, 1);
  EXPECT_TRUE(same_bits(xs, load_f32("maxpool_x", dims(in))));
  EXPECT_TRUE(same_bits(dys, load_f32("maxpool_dy", dims(out))));
  auto x = upload(xs), dy = upload(dys);
  auto y = nan_buffer(out.count());
  auto argmax = upload_i32(std::vector<int32_t>(out.count(), -1));
  be_->maxpool2_forward(in, x.data(), y.data(), argmax.data());
  expect_near(y, "maxpool_y", dims(out));
  EXPECT_EQ(download(argmax), load_i32("maxpool_argmax", dims(out)));

  auto dx = nan_buffer(in.count());
  be_->maxpool2_backward(in, dy.data(), argmax.data(), dx.data());
  expect_near(dx, "maxpool_dx", dims(in));
}

TEST_F(GoldenOps, Upsample2ForwardAndBackward) {
  const Shape4 in{2, 3, 3, 5}, out{2, 3, 6, 10};
  const std::vector<float> xs = hash_fill(60, in.count(), -1, 1);
  const std::vector<float> dys = hash_fill(61, out.count(), -1, 1);
  EXPECT_TRUE(same_bits(xs, load_f32("upsample_x", dims(in))));
  EXPECT_TRUE(same_bits(dys, load_f32("upsample_dy", dims(out))));
  auto x = upload(xs), dy = upload(dys);
  auto y = nan_buffer(out.count());
  be_->upsample2_forward(in, x.data(), y.data());
  expect_near(y, "upsample_y", dims(out));
  auto dx = nan_buffer(in.count());
  be_->upsample2_backward(in, dy.data(), dx.data());
  expect_near(dx, "upsample_dx", dims(in));
}

// ---- dense --------------------------------------------------------------------------------------
TEST_F(GoldenOps, DenseForwardAndBackward) {
  const int batch = 2, n_in = 7, n_out = 5;
  const size_t nb = batch, ni = n_in, no = n_out;
  const std::vector<float> xs = hash_fill(70, nb * ni, -1, 1), ws = hash_fill(71, no * ni, -1, 1),
                           bs = hash_fill(72, no, -1, 1), dys = hash_fill(73, nb * no, -1, 1);
  EXPECT_TRUE(same_bits(xs, load_f32("dense_x", {nb, ni})));
  EXPECT_TRUE(same_bits(ws, load_f32("dense_w", {no, ni})));
  EXPECT_TRUE(same_bits(bs, load_f32("dense_b", {no})));
  EXPECT_TRUE(same_bits(dys, load_f32("dense_dy", {nb, no})));
  auto x = upload(xs), w = upload(ws), b = upload(bs), dy = upload(dys);

  auto y = nan_buffer(nb * no);
  be_->dense_forward(batch, n_in, n_out, x.data(), w.data(), b.data(), Act::None, y.data());
  expect_near(y, "dense_y", {nb, no});
  be_->dense_forward(batch, n_in, n_out, x.data(), w.data(), b.data(), Act::Relu, y.data());
  expect_near(y, "dense_y_relu", {nb, no});

  auto dx = nan_buffer(nb * ni), dw = nan_buffer(no * ni), db = nan_buffer(no);
  be_->dense_backward(batch, n_in, n_out, x.data(), w.data(), dy.data(), dx.data(), dw.data(),
                      db.data());
  expect_near(dx, "dense_dx", {nb, ni});
  expect_near(dw, "dense_dw", {no, ni});
  expect_near(db, "dense_db", {no});

  // The first layer skips dx; its weight and bias gradients must not change.
  auto dw2 = nan_buffer(no * ni), db2 = nan_buffer(no);
  be_->dense_backward(batch, n_in, n_out, x.data(), w.data(), dy.data(), nullptr, dw2.data(),
                      db2.data());
  EXPECT_TRUE(same_bits(download(dw2), download(dw)));
  EXPECT_TRUE(same_bits(download(db2), download(db)));
}

// ---- element-wise -------------------------------------------------------------------------------
TEST_F(GoldenOps, ReluAndSigmoidForwardAndBackward) {
  const size_t count = 61;
  const std::vector<float> xs = hash_fill(95, count, -4, 4), dys = hash_fill(96, count, -1, 1);
  EXPECT_TRUE(same_bits(xs, load_f32("eltwise_x", {count})));
  EXPECT_TRUE(same_bits(dys, load_f32("eltwise_dy", {count})));
  auto x = upload(xs), dy = upload(dys);

  auto y = nan_buffer(count), dx = nan_buffer(count);
  be_->relu_forward(count, x.data(), y.data());
  expect_near(y, "eltwise_relu_y", {count});
  be_->relu_backward(count, y.data(), dy.data(), dx.data());
  expect_near(dx, "eltwise_relu_dx", {count});

  auto s = nan_buffer(count), ds = nan_buffer(count);
  be_->sigmoid_forward(count, x.data(), s.data());
  expect_near(s, "eltwise_sigmoid_y", {count});
  be_->sigmoid_backward(count, s.data(), dy.data(), ds.data());
  expect_near(ds, "eltwise_sigmoid_dx", {count});
}

// ---- losses -------------------------------------------------------------------------------------
TEST_F(GoldenOps, SigmoidMseLossReconstructionAndGradient) {
  const int batch = 2;
  const size_t per = 60, count = size_t(batch) * per;
  const std::vector<float> zs = hash_fill(80, count, -4, 4), ts = hash_fill(81, count, 0, 1);
  EXPECT_TRUE(same_bits(zs, load_f32("sigmoid_mse_z", {size_t(batch), per})));
  EXPECT_TRUE(same_bits(ts, load_f32("sigmoid_mse_target", {size_t(batch), per})));
  auto z = upload(zs), target = upload(ts);
  auto recon = nan_buffer(count), dz = nan_buffer(count), loss = nan_buffer(1);
  be_->sigmoid_mse(count, z.data(), target.data(), recon.data(), dz.data(), loss.data());
  expect_near(recon, "sigmoid_mse_recon", {size_t(batch), per});
  expect_near(dz, "sigmoid_mse_dz", {size_t(batch), per});
  expect_near(loss, "sigmoid_mse_loss", {1});

  // Asking for the loss alone gives the same loss, to the bit.
  auto loss_only = nan_buffer(1);
  be_->sigmoid_mse(count, z.data(), target.data(), nullptr, nullptr, loss_only.data());
  EXPECT_TRUE(same_bits(download(loss_only), download(loss)));

  auto per_sample = nan_buffer(size_t(batch));
  be_->sigmoid_mse_per_sample(batch, per, z.data(), target.data(), per_sample.data());
  expect_near(per_sample, "sigmoid_mse_per_sample", {size_t(batch)});
}

TEST_F(GoldenOps, SoftmaxCrossEntropyLossProbabilitiesAndGradient) {
  const int batch = 4, classes = 5;
  const size_t nb = batch, nc = classes;
  const std::vector<float> zs = hash_fill(90, nb * nc, -4, 4);
  std::vector<int32_t> labels(nb);
  for (size_t i = 0; i < nb; ++i) labels[i] = int32_t(hep2::hash_u32(91, i) % uint32_t(classes));
  EXPECT_TRUE(same_bits(zs, load_f32("softmax_xent_z", {nb, nc})));
  EXPECT_EQ(labels, load_i32("softmax_xent_labels", {nb}));
  auto z = upload(zs);
  auto lab = upload_i32(labels);
  auto probs = nan_buffer(nb * nc), dz = nan_buffer(nb * nc), loss = nan_buffer(1);
  be_->softmax_xent(batch, classes, z.data(), lab.data(), probs.data(), dz.data(), loss.data());
  expect_near(probs, "softmax_xent_probs", {nb, nc});
  expect_near(dz, "softmax_xent_dz", {nb, nc});
  expect_near(loss, "softmax_xent_loss", {1});

  auto loss_only = nan_buffer(1);
  be_->softmax_xent(batch, classes, z.data(), lab.data(), nullptr, nullptr, loss_only.data());
  EXPECT_TRUE(same_bits(download(loss_only), download(loss)));

  auto p = nan_buffer(nb * nc);
  be_->softmax(batch, classes, z.data(), p.data());
  expect_near(p, "softmax_xent_probs", {nb, nc});
}

// ---- optimizers ---------------------------------------------------------------------------------
// torch.optim.Adam with weight decay 0.
TEST_F(GoldenOps, AdamThreeSteps) { check_adam("adam", 0.f); }
// torch.optim.AdamW (decoupled decay 0.1): torch scales w by (1 - lr wd) before the Adam update,
// math::adam_update subtracts lr wd w inside it; both use the pre-step w, so they agree exactly
// in exact arithmetic and to rounding in float32.
TEST_F(GoldenOps, AdamWThreeSteps) { check_adam("adamw", 0.1f); }
// torch.optim.SGD, momentum 0.9, dampening 0, L2 decay 1e-4. That decay moves the results by about
// the tolerance only (dropping it fails this test by a hair), so SgdWithStrongDecay (0.1) checks
// the decay term with a wide margin.
TEST_F(GoldenOps, SgdMomentumThreeSteps) { check_sgd("sgd", 1e-4f); }
TEST_F(GoldenOps, SgdWithStrongDecayThreeSteps) { check_sgd("sgd_wd", 0.1f); }
