// The hand-written CUDA kernels (kernels/*.cu, compiled as C++ for the SIMT harness) against the
// CPU backend, on the shapes the pipeline really runs: the DCAE's layers (64x64 cells, channels
// 32/64/64) at the training batch of 64, which split over hundreds of blocks, plus odd shapes that
// leave tiles partial. Tolerances are those of tests/gpu/test_gpu_ops.cpp: float results within a
// relative 1e-4 (element-wise and norm-wise); ops that move, compare or round explicitly must be
// exact. Outputs start as NaN, so an element no thread writes fails; shared memory is NaN before
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
#include "hep2/backend/backend.h"
#include "hep2/core/rng.h"
#include "loss.cuh"
#include "optim.cuh"
#include "pool.cuh"
#include "simt_runtime.h"
#include "standardize.cuh"
#include "support/random.h"
#include "upsample.cuh"

namespace hep2 {
namespace {

namespace k = ::hep2::kernels;
using test::random_floats;
using Floats = std::vector<float>;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kRel = 1e-4;
const cudaStream_t kStream = nullptr;

// As tests/gpu: each element within kRel of max(|ref|, rms(ref)), the norm-wise error below kRel.
::testing::AssertionResult close(const Floats& got, const Floats& ref) {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << ref.size();
  double ref_sq = 0.0, diff_sq = 0.0;
  for (float r : ref) ref_sq += double(r) * r;
  const double rms = ref.empty() ? 0.0 : std::sqrt(ref_sq / double(ref.size()));
  size_t bad = 0, first_bad = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = std::fabs(double(got[i]) - double(ref[i]));
    const bool ok = std::isfinite(got[i]) && std::isfinite(ref[i]) &&
                    d <= kRel * std::max(std::fabs(double(ref[i])), rms);
    if (std::isfinite(d)) diff_sq += d * d;
    if (!ok && bad++ == 0) first_bad = i;
  }
  const double norm_rel = ref_sq > 0 ? std::sqrt(diff_sq / ref_sq) : std::sqrt(diff_sq);
  if (bad || !(norm_rel < kRel))
    return ::testing::AssertionFailure()
           << bad << " of " << ref.size() << " elements off (first [" << first_bad
           << "]: simt " << got[first_bad] << ", cpu " << ref[first_bad]
           << "), norm-wise relative error " << norm_rel;
  return ::testing::AssertionSuccess();
}

template <class T>
::testing::AssertionResult same(const std::vector<T>& got, const std::vector<T>& ref) {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << ref.size();
  for (size_t i = 0; i < ref.size(); ++i)
    if (!(got[i] == ref[i]))  // NaN never equals
      return ::testing::AssertionFailure()
             << "element " << i << " of " << ref.size() << ": simt " << got[i] << ", cpu "
             << ref[i];
  return ::testing::AssertionSuccess();
}

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
// partial channel tiles, a second weight stage and kernels that are not 4x4. Batch 8, not the
// training batch of 64: a block's work does not depend on the batch (it only adds blocks and
// backward-filter splits, which batch 8 has several of already), and every block of these
// kernels meets at barriers, which cost about a millisecond each with 256 real threads on CI's
// two cores (batch 64 took 75 s). PipelineShapesRunOnManyBlocks and the bias-gradient test run
// batch 64.
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
