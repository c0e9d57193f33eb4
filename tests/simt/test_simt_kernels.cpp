// The hand-written CUDA kernels (kernels/*.cu, compiled as C++ for the SIMT harness) against the
// CPU backend, on the shapes the pipeline really runs: the DCAE's layers (64x64 cells, channels
// 32/64/64) at the training batch of 64, which split over hundreds of blocks, plus odd shapes that
// leave tiles partial. The comparisons are those of tests/gpu/test_gpu_ops.cpp, from one header
// (support/compare.h): float results within a relative 1e-4 (element-wise and norm-wise); ops that
// move, compare or round explicitly must be exact. Outputs start as NaN, so an element no thread writes fails; shared memory is NaN before
// each block (simt_runtime.h), so a read of an element no thread staged fails too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "bias_act.cuh"
#include "channel_stats.cuh"
#include "deconv.cuh"
#include "device_error.h"
#include "dropout.cuh"
#include "elementwise.cuh"
#include "gather.cuh"
#include "launch.cuh"
#include "hep2/backend/backend.h"
#include "hep2/core/rng.h"
#include "loss.cuh"
#include "optim.cuh"
#include "pool.cuh"
#include "simt_runtime.h"
#include "standardize.cuh"
#include "support/compare.h"
#include "support/random.h"
#include "upsample.cuh"

namespace hep2 {
namespace {

namespace k = ::hep2::kernels;
using test::random_floats;
using Floats = std::vector<float>;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
const cudaStream_t kStream = nullptr;

// As tests/gpu (support/compare.h): close within kRel, same exactly.
using test::close;
using test::same;

ConvGeom geom(int n, int c_in, int c_out, int h, int w, int k_h, int k_w, int stride, int pad) {
  ConvGeom g;
  g.n = n, g.c_in = c_in, g.c_out = c_out, g.h = h, g.w = w;
  g.k_h = k_h, g.k_w = k_w, g.stride = stride, g.pad = pad;
  return g;
}

std::string describe(const ConvGeom& g) {
  return "n" + std::to_string(g.n) + " " + std::to_string(g.c_in) + "->" + std::to_string(g.c_out) +
         " " + std::to_string(g.h) + "x" + std::to_string(g.w) + " k" + std::to_string(g.k_h) +
         " s" + std::to_string(g.stride) + " p" + std::to_string(g.pad);
}

// The DCAE's transposed-convolution decoder (dec1, dec2, dec3) at batch 8, and odd shapes with
// partial channel tiles, a second weight stage and kernels that are not 4x4. Batch 8 for time:
// every block of these kernels meets at barriers, which cost about a millisecond each with 256
// real threads on CI's two cores. TrainingBatchDeconvMatchesCpu runs the decoder at the training
// batch of 64 (about two minutes).
std::vector<ConvGeom> deconv_cases() {
  return {
      geom(8, 64, 64, 8, 8, 4, 4, 2, 1),    // dec1
      geom(8, 64, 32, 16, 16, 4, 4, 2, 1),  // dec2
      geom(8, 32, 1, 32, 32, 4, 4, 2, 1),   // dec3: one output channel
      geom(3, 5, 6, 4, 7, 4, 4, 2, 1),       // output-channel tile of 4, partial
      geom(2, 20, 40, 5, 5, 4, 4, 2, 1),     // an input tile of 16 plus a partial one
      geom(2, 6, 5, 4, 3, 5, 3, 3, 2),       // 5x3 kernel, stride 3
      geom(2, 3, 17, 6, 6, 3, 3, 1, 1),      // 17 outputs: a full tile of 16 plus one
  };
}

// The DCAE's feature maps at batch 64 (pooled after each encoder stage; up-sampled in the
// up-sampling decoder) and odd sizes whose last row and column the pool drops.
const Shape4 kMapShapes[] = {{64, 32, 64, 64}, {64, 64, 32, 32}, {64, 64, 16, 16},
                             {64, 64, 8, 8},   {2, 3, 33, 17},   {1, 1, 7, 5}};

class Simt : public ::testing::Test {
 protected:
  Floats random(size_t count, double lo = -1.0, double hi = 1.0) {
    return random_floats(rng_, count, lo, hi);
  }
  static Floats output(size_t count) { return Floats(count, kNaN); }

  // One thread: the reference is cheap beside the harness, and in the ThreadSanitizer build (where
  // hep2_nn is not instrumented) a helper pool's hand-offs would be invisible and reported as races.
  std::unique_ptr<Backend> cpu_ = make_cpu_backend(1);
  Rng rng_{20261207};
};

// ---- transposed convolution -----------------------------------------------------------------
TEST_F(Simt, DeconvForwardMatchesCpu) {
  for (const ConvGeom& g : deconv_cases()) {
    SCOPED_TRACE(describe(g));
    Floats x = random(g.input().count()), w = random(g.weight_count());
    Floats b = random(size_t(g.c_out), -0.25, 0.25);
    Floats y = output(g.deconv_output().count()), ref = y;
    cpu_->deconv2d_forward(g, x.data(), w.data(), b.data(), Act::Relu, ref.data());
    k::deconv2d_forward(kStream, g, x.data(), w.data(), b.data(), true, y.data());
    EXPECT_TRUE(close(y, ref));
    std::fill(y.begin(), y.end(), kNaN);
    cpu_->deconv2d_forward(g, x.data(), w.data(), nullptr, Act::None, ref.data());
    k::deconv2d_forward(kStream, g, x.data(), w.data(), nullptr, false, y.data());
    EXPECT_TRUE(close(y, ref));
  }
}

TEST_F(Simt, DeconvBackwardDataMatchesCpu) {
  for (const ConvGeom& g : deconv_cases()) {
    SCOPED_TRACE(describe(g));
    Floats dy = random(g.deconv_output().count()), w = random(g.weight_count());
    Floats dx = output(g.input().count()), ref = dx;
    cpu_->deconv2d_backward_data(g, dy.data(), w.data(), ref.data());
    k::deconv2d_backward_data(kStream, g, dy.data(), w.data(), dx.data());
    EXPECT_TRUE(close(dx, ref));
  }
}

// The filter gradient (split over blocks and summed by a second kernel) and the bias gradient
// (channel_sum's two passes with block_sum).
TEST_F(Simt, DeconvBackwardFilterAndBiasMatchCpu) {
  for (const ConvGeom& g : deconv_cases()) {
    SCOPED_TRACE(describe(g));
    Floats x = random(g.input().count()), dy = random(g.deconv_output().count());
    Floats dw = output(g.weight_count()), ref_dw = dw;
    Floats db = output(size_t(g.c_out)), ref_db = db;
    cpu_->deconv2d_backward_filter(g, x.data(), dy.data(), ref_dw.data(), ref_db.data());
    std::vector<unsigned char> workspace(k::deconv2d_backward_filter_workspace(g), 0xFF);
    k::deconv2d_backward_filter(kStream, g, x.data(), dy.data(), dw.data(), workspace.data());
    EXPECT_TRUE(close(dw, ref_dw));
    const size_t plane = size_t(g.deconv_out_h()) * g.deconv_out_w();
    std::vector<unsigned char> scratch(k::channel_sum_scratch_bytes(g.n, g.c_out, plane), 0xFF);
    k::channel_sum(kStream, dy.data(), g.n, g.c_out, plane, db.data(), scratch.data());
    EXPECT_TRUE(close(db, ref_db));
  }
}

// The decoder's three layers at the pipeline's training batch of 64, all three passes: the grid
// the DCAE's steps really launch (the backward-filter kernel splits the batch over more blocks
// than at batch 8). Slow on CI's two cores (every block meets at barriers with 256 real threads);
// left out of the ThreadSanitizer run (tools/ci_simt_tsan.sh), where batch 8 already runs these
// blocks' code and a race between barriers does not depend on the batch.
TEST_F(Simt, TrainingBatchDeconvMatchesCpu) {
  for (const ConvGeom& g : {geom(64, 64, 64, 8, 8, 4, 4, 2, 1), geom(64, 64, 32, 16, 16, 4, 4, 2, 1),
                            geom(64, 32, 1, 32, 32, 4, 4, 2, 1)}) {
    SCOPED_TRACE(describe(g));
    Floats x = random(g.input().count()), w = random(g.weight_count());
    Floats b = random(size_t(g.c_out), -0.25, 0.25);
    Floats y = output(g.deconv_output().count()), ref_y = y;
    cpu_->deconv2d_forward(g, x.data(), w.data(), b.data(), Act::Relu, ref_y.data());
    k::deconv2d_forward(kStream, g, x.data(), w.data(), b.data(), true, y.data());
    EXPECT_TRUE(close(y, ref_y)) << "forward";
    Floats dy = random(g.deconv_output().count());
    Floats dx = output(g.input().count()), ref_dx = dx;
    cpu_->deconv2d_backward_data(g, dy.data(), w.data(), ref_dx.data());
    k::deconv2d_backward_data(kStream, g, dy.data(), w.data(), dx.data());
    EXPECT_TRUE(close(dx, ref_dx)) << "backward data";
    Floats dw = output(g.weight_count()), ref_dw = dw;
    cpu_->deconv2d_backward_filter(g, x.data(), dy.data(), ref_dw.data(), nullptr);
    std::vector<unsigned char> workspace(k::deconv2d_backward_filter_workspace(g), 0xFF);
    k::deconv2d_backward_filter(kStream, g, x.data(), dy.data(), dw.data(), workspace.data());
    EXPECT_TRUE(close(dw, ref_dw)) << "backward filter";
  }
}

// The bias gradients of the decoder's last two layers at the training batch: channel_sum spreads
// the single output channel of dec3 over 64 blocks, dec2's 32 channels over 512.
TEST_F(Simt, BiasGradientsAtBatch64MatchCpu) {
  for (const ConvGeom& g :
       {geom(64, 64, 32, 16, 16, 4, 4, 2, 1), geom(64, 32, 1, 32, 32, 4, 4, 2, 1)}) {
    SCOPED_TRACE(describe(g));
    const size_t plane = size_t(g.deconv_out_h()) * g.deconv_out_w();
    Floats x = random(g.input().count()), dy = random(g.deconv_output().count());
    Floats dw(g.weight_count()), db = output(size_t(g.c_out)), ref_db = db;
    cpu_->deconv2d_backward_filter(g, x.data(), dy.data(), dw.data(), ref_db.data());
    std::vector<unsigned char> scratch(k::channel_sum_scratch_bytes(g.n, g.c_out, plane), 0xFF);
    const size_t before = simt::blocks_run();
    k::channel_sum(kStream, dy.data(), g.n, g.c_out, plane, db.data(), scratch.data());
    EXPECT_GE(simt::blocks_run() - before, 64u);
    EXPECT_TRUE(close(db, ref_db));
  }
}

// ---- pooling and up-sampling (exact) ----------------------------------------------------------
TEST_F(Simt, MaxPoolForwardBackwardAreExact) {
  for (const Shape4& in : kMapShapes) {
    SCOPED_TRACE(in.str());
    Floats x = random(in.count());
    const size_t out = size_t(in.n) * in.c * (in.h / 2) * (in.w / 2);
    Floats y = output(out), ref_y = y;
    std::vector<int32_t> arg(out, -7), ref_arg = arg;
    cpu_->maxpool2_forward(in, x.data(), ref_y.data(), ref_arg.data());
    k::maxpool2_forward(kStream, in, x.data(), y.data(), arg.data());
    EXPECT_TRUE(same(y, ref_y));
    EXPECT_TRUE(same(arg, ref_arg));
    Floats dy = random(out), dx = output(in.count()), ref_dx = dx;
    cpu_->maxpool2_backward(in, dy.data(), ref_arg.data(), ref_dx.data());
    k::maxpool2_backward(kStream, in, dy.data(), arg.data(), dx.data());
    EXPECT_TRUE(same(dx, ref_dx));
  }
}

TEST_F(Simt, UpsampleForwardBackwardAreExact) {
  for (const Shape4& in : kMapShapes) {
    SCOPED_TRACE(in.str());
    Floats x = random(in.count()), y = output(4 * in.count()), ref_y = y;
    cpu_->upsample2_forward(in, x.data(), ref_y.data());
    k::upsample2_forward(kStream, in, x.data(), y.data());
    EXPECT_TRUE(same(y, ref_y));
    Floats dy = random(4 * in.count()), dx = output(in.count()), ref_dx = dx;
    cpu_->upsample2_backward(in, dy.data(), ref_dx.data());
    k::upsample2_backward(kStream, in, dy.data(), dx.data());
    EXPECT_TRUE(same(dx, ref_dx));
  }
}

// ---- bias, activations, column sums -----------------------------------------------------------
// bias_act has no CPU op of its own (the CPU backend fuses it into its convolutions): the
// reference is the formula, which the kernel must reproduce exactly (one add, one max).
TEST_F(Simt, BiasActIsExact) {
  const int n = 64, channels = 32;
  const size_t plane = 64 * 64;
  Floats y = random(size_t(n) * channels * plane), b = random(size_t(channels));
  Floats ref = y;
  for (size_t i = 0; i < ref.size(); ++i) ref[i] = math::relu(ref[i] + b[(i / plane) % channels]);
  k::bias_act(kStream, y.data(), b.data(), true, n, channels, plane);
  EXPECT_TRUE(same(y, ref));
}

TEST_F(Simt, ColumnSumMatchesTheCpuDenseBiasGradient) {
  for (int batch : {1, 64, 300}) {
    const int in = 4096, out = 300;  // the classifier's first layer on 4096 features
    SCOPED_TRACE(batch);
    Floats x = random(size_t(batch) * in), w = random(size_t(out) * in);
    Floats dy = random(size_t(batch) * out), dw(size_t(out) * in), ref = output(size_t(out));
    cpu_->dense_backward(batch, in, out, x.data(), w.data(), dy.data(), nullptr, dw.data(),
                         ref.data());
    Floats db = output(size_t(out));
    k::column_sum(kStream, dy.data(), batch, out, db.data());
    EXPECT_TRUE(close(db, ref));
  }
}

TEST_F(Simt, ElementwiseReluIsExactSigmoidIsClose) {
  const size_t count = 64 * 64 * 64 + 3;
  Floats x = random(count, -8, 8), dy = random(count);
  Floats y = output(count), ref = y, dx = output(count), ref_dx = dx;
  cpu_->relu_forward(count, x.data(), ref.data());
  k::relu_forward(kStream, count, x.data(), y.data());
  EXPECT_TRUE(same(y, ref));
  cpu_->relu_backward(count, ref.data(), dy.data(), ref_dx.data());
  k::relu_backward(kStream, count, y.data(), dy.data(), dx.data());
  EXPECT_TRUE(same(dx, ref_dx));
  cpu_->sigmoid_forward(count, x.data(), ref.data());
  k::sigmoid_forward(kStream, count, x.data(), y.data());
  EXPECT_TRUE(close(y, ref));
  cpu_->sigmoid_backward(count, ref.data(), dy.data(), ref_dx.data());
  k::sigmoid_backward(kStream, count, ref.data(), dy.data(), dx.data());
  EXPECT_TRUE(close(dx, ref_dx));
  Floats filled = output(count);
  k::fill(kStream, filled.data(), count, 0.5f);
  EXPECT_TRUE(same(filled, Floats(count, 0.5f)));
}

TEST_F(Simt, DropoutIsExact) {
  const size_t count = 64 * 300 + 7;
  for (float p : {0.f, 0.5f}) {
    SCOPED_TRACE(p);
    const float scale = 1.f / (1.f - p);
    Floats x = random(count), mask = output(count), ref_mask = mask, y = output(count);
    Floats ref_y = y;
    cpu_->dropout_forward(count, p, 99, x.data(), ref_mask.data(), ref_y.data());
    k::dropout_forward(kStream, count, p, scale, 99, x.data(), mask.data(), y.data());
    EXPECT_TRUE(same(mask, ref_mask));
    EXPECT_TRUE(same(y, ref_y));
    Floats dy = random(count), dx = output(count), ref_dx = dx;
    cpu_->dropout_backward(count, ref_mask.data(), dy.data(), ref_dx.data());
    k::dropout_backward(kStream, count, mask.data(), dy.data(), dx.data());
    EXPECT_TRUE(same(dx, ref_dx));
  }
}

// ---- losses (block_sum's emulated twin) -------------------------------------------------------
TEST_F(Simt, SigmoidMseMatchesCpu) {
  // One reconstruction batch (64 cells of 64x64), and more values than kLossPartials blocks
  // cover, so that the grid-stride loop and the final sum over 1024 partials run.
  for (size_t count : {size_t(37), size_t(64 * 64 * 64), size_t(3000000)}) {
    SCOPED_TRACE(count);
    Floats z = random(count, -6, 6), target = random(count, 0, 1);
    Floats recon = output(count), ref_recon = recon, dz = output(count), ref_dz = dz;
    Floats loss = output(1), ref_loss = loss;
    std::vector<double> partials(k::kLossPartials, std::nan(""));
    cpu_->sigmoid_mse(count, z.data(), target.data(), ref_recon.data(), ref_dz.data(),
                      ref_loss.data());
    k::sigmoid_mse(kStream, count, z.data(), target.data(), recon.data(), dz.data(), loss.data(),
                   partials.data());
    EXPECT_TRUE(close(recon, ref_recon));
    EXPECT_TRUE(close(dz, ref_dz));
    EXPECT_TRUE(close(loss, ref_loss));
    Floats bce = output(count), ref_bce = bce;
    cpu_->sigmoid_bce_grad(count, recon.data(), target.data(), ref_bce.data());
    k::sigmoid_bce_grad(kStream, count, recon.data(), target.data(), bce.data());
    EXPECT_TRUE(same(bce, ref_bce));
  }
}

TEST_F(Simt, SigmoidMsePerSampleMatchesCpu) {
  const int batch = 64;
  const size_t per = 64 * 64;
  Floats z = random(batch * per, -4, 4), target = random(batch * per, 0, 1);
  Floats out = output(batch), ref = out;
  cpu_->sigmoid_mse_per_sample(batch, per, z.data(), target.data(), ref.data());
  k::sigmoid_mse_per_sample(kStream, batch, per, z.data(), target.data(), out.data());
  EXPECT_TRUE(close(out, ref));
}

TEST_F(Simt, SoftmaxCrossEntropyAndArgmaxMatchCpu) {
  for (int batch : {7, 300}) {
    for (int classes : {6, 13}) {
      SCOPED_TRACE(std::to_string(batch) + " x " + std::to_string(classes));
      const size_t count = size_t(batch) * classes;
      Floats z = random(count, -5, 5);
      std::vector<int32_t> labels = test::random_indices(rng_, size_t(batch), classes);
      Floats probs = output(count), ref_probs = probs, dz = output(count), ref_dz = dz;
      Floats loss = output(1), ref_loss = loss;
      std::vector<double> partials(k::kLossPartials, std::nan(""));
      cpu_->softmax_xent(batch, classes, z.data(), labels.data(), ref_probs.data(), ref_dz.data(),
                         ref_loss.data());
      k::softmax_xent(kStream, batch, classes, z.data(), labels.data(), probs.data(), dz.data(),
                      loss.data(), partials.data());
      EXPECT_TRUE(close(probs, ref_probs));
      EXPECT_TRUE(close(dz, ref_dz));
      EXPECT_TRUE(close(loss, ref_loss));
      std::fill(probs.begin(), probs.end(), kNaN);
      k::softmax(kStream, batch, classes, z.data(), probs.data());
      EXPECT_TRUE(close(probs, ref_probs));
      std::vector<int32_t> arg(size_t(batch), -1), ref_arg = arg;
      cpu_->argmax_rows(batch, classes, z.data(), ref_arg.data());
      k::argmax_rows(kStream, batch, classes, z.data(), arg.data());
      EXPECT_TRUE(same(arg, ref_arg));
    }
  }
}

// ---- optimisers --------------------------------------------------------------------------------
TEST_F(Simt, AdamAndSgdStepsMatchCpu) {
  const size_t count = 154657;  // the transposed-decoder DCAE's parameter count
  Floats w = random(count), m(count, 0.f), v(count, 0.f);
  Floats ref_w = w, ref_m = m, ref_v = v;
  math::AdamHyper h;
  h.lr = 1e-3f;
  h.weight_decay = 1e-2f;
  for (int t = 1; t <= 3; ++t) {
    h.bc1 = 1.f - std::pow(h.beta1, float(t));
    h.bc2 = 1.f - std::pow(h.beta2, float(t));
    Floats g = random(count);
    cpu_->adam_step(count, ref_w.data(), g.data(), ref_m.data(), ref_v.data(), h);
    k::adam_step(kStream, count, w.data(), g.data(), m.data(), v.data(), h);
  }
  EXPECT_TRUE(close(w, ref_w));
  EXPECT_TRUE(close(m, ref_m));
  EXPECT_TRUE(close(v, ref_v));

  Floats buf(count, 0.f), ref_buf = buf;
  math::SgdHyper s;
  s.weight_decay = 5e-4f;
  for (int t = 0; t < 3; ++t) {
    Floats g = random(count);
    cpu_->sgd_step(count, ref_w.data(), g.data(), ref_buf.data(), s);
    k::sgd_step(kStream, count, w.data(), g.data(), buf.data(), s);
  }
  EXPECT_TRUE(close(w, ref_w));
  EXPECT_TRUE(close(buf, ref_buf));
}

// ---- data: gather, standardisation, texture statistics ---------------------------------------
TEST_F(Simt, GatherBatchWithAugmentationIsExact) {
  const Shape4 sample{1, 1, 64, 64};
  const int dataset = 100, batch = 64;
  Floats data = random(size_t(dataset) * sample.per_sample());
  std::vector<int32_t> index = test::random_indices(rng_, size_t(batch), dataset);
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE(variant);
    AugmentSpec aug;
    if (variant >= 1) aug = AugmentSpec{true, 0xABCDEFull, 12345};
    if (variant == 2) aug.symmetry = 5;
    Floats out = output(size_t(batch) * sample.per_sample()), ref = out;
    unsigned error = 0;
    cpu_->gather_batch(sample, data.data(), index.data(), batch, aug, ref.data());
    k::gather_batch(kStream, sample, data.data(), index.data(), batch, aug.rotate_flip,
                    aug.symmetry, aug.seed, aug.step, out.data(), &error);
    EXPECT_TRUE(same(out, ref));
    EXPECT_EQ(error, 0u);
  }
  std::vector<int32_t> labels = test::random_indices(rng_, size_t(dataset), 6);
  std::vector<int32_t> got(size_t(batch), -1), ref(size_t(batch), -1);
  unsigned error = 0;
  cpu_->gather_labels(labels.data(), index.data(), batch, ref.data());
  k::gather_labels(kStream, labels.data(), index.data(), batch, got.data(), &error);
  EXPECT_TRUE(same(got, ref));
  EXPECT_EQ(error, 0u);
  // A negative index is flagged, not read.
  index[17] = -1;
  k::gather_labels(kStream, labels.data(), index.data(), batch, got.data(), &error);
  EXPECT_EQ(error, unsigned(k::kLabelsNegativeIndex));
}

TEST_F(Simt, ColumnSumsAndStandardizeAreExact) {
  const int rows = 600, cols = 8192;  // the texture-feature width
  Floats x = random(size_t(rows) * cols, -3, 3);
  std::vector<int32_t> chosen = test::random_indices(rng_, 400, rows);
  std::vector<double> sum(cols, std::nan("")), sq = sum, ref_sum = sum, ref_sq = sum;
  unsigned error = 0;
  cpu_->column_sums(cols, x.data(), chosen.data(), int(chosen.size()), ref_sum.data(),
                    ref_sq.data());
  k::column_sums(kStream, cols, x.data(), chosen.data(), int(chosen.size()), sum.data(), sq.data(),
                 &error);
  EXPECT_TRUE(same(sum, ref_sum));
  EXPECT_TRUE(same(sq, ref_sq));
  EXPECT_EQ(error, 0u);
  Floats mean = random(size_t(cols)), inv_std = random(size_t(cols), 0.5, 2);
  Floats y = output(x.size()), ref = y;
  cpu_->standardize_columns(rows, cols, x.data(), mean.data(), inv_std.data(), ref.data());
  k::standardize_columns(kStream, rows, cols, x.data(), mean.data(), inv_std.data(), y.data());
  EXPECT_TRUE(same(y, ref));
}

TEST_F(Simt, ChannelStatsKeepsTheCpuBitsOnPipelineShapes) {
  struct Maps {
    int batch, channels, positions;
  };
  for (const Maps m : {Maps{64, 32, 32 * 32}, Maps{64, 64, 16 * 16}, Maps{64, 64, 8 * 8},
                       Maps{37, 64, 7 * 7}, Maps{5, 3, 33}}) {
    SCOPED_TRACE(std::to_string(m.batch) + "x" + std::to_string(m.channels) + "x" +
                 std::to_string(m.positions));
    Floats x(size_t(m.batch) * m.channels * m.positions);
    for (float& v : x)
      v = rng_.uniform(0, 1) < 0.33 ? 0.f : float(rng_.uniform(0, 1) * rng_.uniform(0.1, 10));
    Floats out = random(size_t(m.batch) * 3 * m.channels), ref = out;
    for (float w : {0.125f, 0.75f}) {
      cpu_->channel_stats(m.batch, m.channels, m.positions, x.data(), w, ref.data());
      k::channel_stats(kStream, m.batch, m.channels, m.positions, x.data(), w, out.data());
    }
    EXPECT_TRUE(same(out, ref));
  }
}

// ---- the harness itself -----------------------------------------------------------------------
// block_sum's emulated twin adds in the order simt_runtime.h documents (CUB's): within each warp of
// 32 the shuffle-down tree, offsets 1, 2, 4, 8, 16, so lane 0 holds ((x0 + x1) + (x2 + x3)) + ...;
// then the 8 warps' sums left to right. The expected value is that order written out here, and the
// inputs (magnitudes from 2^-40 to 2^40, both signs) give other bits for the other orders one
// might slip into (one running sum, the warps' sums right to left, the tree with its offsets
// reversed), which the test also checks, so a change of order cannot pass unseen.
double pairwise(const double* x, int n) {  // ((x0 + x1) + (x2 + x3)) + ... for n a power of 2
  return n == 1 ? x[0] : pairwise(x, n / 2) + pairwise(x + n / 2, n / 2);
}

double reversed_offsets(const double* x) {  // a warp's tree with offsets 16, 8, 4, 2, 1
  double lane[32];
  std::copy(x, x + 32, lane);
  for (int offset = 16; offset >= 1; offset /= 2)
    for (int l = 0; l < offset; ++l) lane[l] = lane[l] + lane[l + offset];
  return lane[0];
}

TEST_F(Simt, BlockSumAddsInTheDocumentedOrder) {
  constexpr int kWarps = k::kThreads / 32;
  ASSERT_EQ(k::kThreads, 256);
  std::vector<double> v(size_t(k::kThreads));
  double expected = 0;
  // Draw inputs until they tell the orders apart (a few draws at most: most do, but where one
  // warp's sum dwarfs the others two orders of the warps can round alike).
  bool discriminating = false;
  for (int draw = 0; draw < 100 && !discriminating; ++draw) {
    for (double& x : v)
      x = (rng_.uniform(0, 1) < 0.5 ? -1 : 1) * rng_.uniform(1, 2) *
          std::ldexp(1.0, int(rng_.uniform(-40, 40)));
    double warp_sums[kWarps], running = 0, right_to_left = 0, other_tree = 0;
    for (int w = 0; w < kWarps; ++w) warp_sums[w] = pairwise(v.data() + 32 * w, 32);
    expected = warp_sums[0];
    for (int w = 1; w < kWarps; ++w) expected = expected + warp_sums[w];
    for (double x : v) running = running + x;
    right_to_left = warp_sums[kWarps - 1];
    for (int w = kWarps - 2; w >= 0; --w) right_to_left = right_to_left + warp_sums[w];
    other_tree = reversed_offsets(v.data());
    for (int w = 1; w < kWarps; ++w) other_tree = other_tree + reversed_offsets(v.data() + 32 * w);
    discriminating = expected != running && expected != right_to_left && expected != other_tree;
  }
  ASSERT_TRUE(discriminating) << "no draw told the summation orders apart";

  double got = std::numeric_limits<double>::quiet_NaN();
  simt::run_grid("block_sum order", dim3(1), dim3(unsigned(k::kThreads)), 0, [&] {
    const double s = k::block_sum(v[threadIdx.x]);
    if (threadIdx.x == 0) got = s;
  });
  EXPECT_EQ(std::memcmp(&got, &expected, sizeof(double)), 0)
      << "block_sum gave " << got << ", the documented order " << expected;
}

// The optimiser's step state advanced on the "device" (the one-thread kernel) matches the CPU
// backend's host value, and the updates that read it take the CPU's step.
TEST_F(Simt, StepStateAndTheUpdatesThatReadItMatchCpu) {
  math::StepSchedule schedule;
  schedule.lr = 1e-3f;
  schedule.warmup_steps = 3;
  schedule.warmup_start = 1;
  math::StepState state, ref_state;
  state.t = ref_state.t = 1;
  const size_t count = 1000;
  Floats w = random(count), g = random(count), m = random(count), v = random(count, 0, 1);
  Floats ref_w = w, ref_m = m, ref_v = v;
  Floats sw = random(count), ref_sw = sw, buf = random(count), ref_buf = buf;
  for (int s = 0; s < 5; ++s) {
    SCOPED_TRACE(s);
    cpu_->advance_step(&ref_state, schedule);
    k::advance_step(kStream, &state, schedule);
    EXPECT_EQ(state.t, ref_state.t);
    EXPECT_EQ(state.lr, ref_state.lr);
    EXPECT_EQ(state.bc1, ref_state.bc1);
    EXPECT_EQ(state.bc2, ref_state.bc2);
    cpu_->adam_step_at(count, ref_w.data(), g.data(), ref_m.data(), ref_v.data(), {}, &ref_state);
    k::adam_step_at(kStream, count, w.data(), g.data(), m.data(), v.data(), {}, &state);
    cpu_->sgd_step_at(count, ref_sw.data(), g.data(), ref_buf.data(), {}, &ref_state);
    k::sgd_step_at(kStream, count, sw.data(), g.data(), buf.data(), {}, &state);
  }
  EXPECT_EQ(state.t, 6);
  // The updates within rounding, as AdamAndSgdStepsMatchCpu: the CPU backend's loop may fuse a
  // multiply-add that the harness (-ffp-contract=off) does not, one ulp here and there.
  EXPECT_TRUE(close(w, ref_w));
  EXPECT_TRUE(close(m, ref_m));
  EXPECT_TRUE(close(v, ref_v));
  EXPECT_TRUE(close(sw, ref_sw));
  EXPECT_TRUE(close(buf, ref_buf));
}

// The pipeline's shapes really spread over many blocks (so a mistake in a block offset shows).
TEST_F(Simt, PipelineShapesRunOnManyBlocks) {
  const ConvGeom g = geom(64, 64, 32, 16, 16, 4, 4, 2, 1);
  Floats x = random(g.input().count()), w = random(g.weight_count());
  Floats y = output(g.deconv_output().count());
  const size_t before = simt::blocks_run();
  k::deconv2d_forward(kStream, g, x.data(), w.data(), nullptr, false, y.data());
  EXPECT_GE(simt::blocks_run() - before, 64u);
}

}  // namespace
}  // namespace hep2
