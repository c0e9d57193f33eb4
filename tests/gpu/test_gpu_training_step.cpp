// One full DCAE training step and one MLP step on the GPU against the CPU backend: the loss, every
// gradient tensor and the updated parameters (issue: "GPU against CPU"). Skipped without a device.
#include <gtest/gtest.h>

#include <cmath>

#include "hep2/core/rng.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "support/gpu.h"

namespace hep2 {
namespace {

// Every element within rel * max|reference| of the reference, per parameter tensor, so a small
// tensor (a bias) is not hidden by a large one.
void expect_tensors_close(const Network& net, const std::vector<float>& gpu,
                          const std::vector<float>& cpu, double rel, const char* what) {
  ASSERT_EQ(gpu.size(), cpu.size());
  for (const ParamTensor& t : net.param_tensors()) {
    double scale = 0;
    for (size_t i = 0; i < t.count; ++i) scale = std::max(scale, double(std::fabs(cpu[t.offset + i])));
    size_t bad = 0;
    for (size_t i = 0; i < t.count; ++i)
      bad += !(std::fabs(double(gpu[t.offset + i]) - cpu[t.offset + i]) <= rel * scale + 1e-30);
    EXPECT_EQ(bad, 0u) << what << " of " << t.name << " (scale " << scale << ")";
  }
}

// Adam's first step moves each weight by lr * g / (|g| + eps): by about lr with the sign of g. Where
// the gradient itself is within the gradient tolerance of zero its sign may legitimately differ
// between the backends, and the weight by up to 2 lr; everywhere else the updates must agree.
void expect_adam_update_close(const Network& net, const std::vector<float>& gpu,
                              const std::vector<float>& cpu, const std::vector<float>& grad_cpu,
                              double rel, double lr) {
  for (const ParamTensor& t : net.param_tensors()) {
    double pscale = 0, gscale = 0;
    for (size_t i = 0; i < t.count; ++i) {
      pscale = std::max(pscale, double(std::fabs(cpu[t.offset + i])));
      gscale = std::max(gscale, double(std::fabs(grad_cpu[t.offset + i])));
    }
    size_t bad = 0;
    for (size_t i = 0; i < t.count; ++i) {
      bool ambiguous = std::fabs(grad_cpu[t.offset + i]) <= rel * gscale;
      double tol = rel * pscale + (ambiguous ? 2 * lr : 0) + 1e-30;
      bad += !(std::fabs(double(gpu[t.offset + i]) - cpu[t.offset + i]) <= tol);
    }
    EXPECT_EQ(bad, 0u) << "updated parameter of " << t.name;
  }
}

struct Pair {
  std::unique_ptr<Backend> cpu = make_cpu_backend(2), gpu = make_cuda_backend(0);
};

TEST(GpuTrainingStep, DcaeStepMatchesCpu) {
  HEP2_REQUIRE_CUDA_DEVICE();
  Pair p;
  for (DecoderKind dec : {DecoderKind::Transposed, DecoderKind::Upsample}) {
    DcaeConfig cfg;
    cfg.decoder = dec;
    const int batch = 5;
    Trainer tc(*p.cpu, build_dcae(cfg).net, batch, OptimizerConfig{});
    Trainer tg(*p.gpu, build_dcae(cfg).net, batch, OptimizerConfig{});
    tc.init(InitScheme::Torch, 3);
    tg.block().set_params(*p.gpu, tc.block().get_params(*p.cpu));
    Rng rng(8);
    std::vector<float> x(size_t(batch) * 64 * 64);
    for (float& v : x) v = float(rng.uniform());
    Buffer<float> xc(*p.cpu, x.size()), xg(*p.gpu, x.size());
    p.cpu->upload(xc.data(), x.data(), xc.bytes());
    p.gpu->upload(xg.data(), x.data(), xg.bytes());

    tc.ae_loss_and_grad(batch, xc.data());
    tg.ae_loss_and_grad(batch, xg.data());
    EXPECT_NEAR(tg.read_loss(), tc.read_loss(), 1e-5 * tc.read_loss()) << decoder_name(dec);
    expect_tensors_close(tc.net(), tg.block().get_grads(*p.gpu), tc.block().get_grads(*p.cpu),
                         1e-4, "gradient");
    std::vector<float> grad_cpu = tc.block().get_grads(*p.cpu);
    tc.optimizer().step(tc.block());
    tg.optimizer().step(tg.block());
    expect_adam_update_close(tc.net(), tg.block().get_params(*p.gpu), tc.block().get_params(*p.cpu),
                             grad_cpu, 1e-4, tc.optimizer().config().lr);
  }
}

TEST(GpuTrainingStep, MlpStepMatchesCpu) {
  HEP2_REQUIRE_CUDA_DEVICE();
  Pair p;
  MlpConfig cfg;
  cfg.classes = 6;
  cfg.dropout = 0.5f;  // same hash-based masks on both backends
  const int batch = 17;
  Trainer tc(*p.cpu, build_mlp(cfg), batch, OptimizerConfig{});
  Trainer tg(*p.gpu, build_mlp(cfg), batch, OptimizerConfig{});
  tc.init(InitScheme::Torch, 4);
  tg.block().set_params(*p.gpu, tc.block().get_params(*p.cpu));
  Rng rng(9);
  std::vector<float> x(size_t(batch) * 4096);
  for (float& v : x) v = float(rng.uniform(-1, 1));
  std::vector<int32_t> y(batch);
  for (int i = 0; i < batch; ++i) y[i] = i % 6;
  Buffer<float> xc(*p.cpu, x.size()), xg(*p.gpu, x.size());
  Buffer<int32_t> yc(*p.cpu, y.size()), yg(*p.gpu, y.size());
  p.cpu->upload(xc.data(), x.data(), xc.bytes());
  p.gpu->upload(xg.data(), x.data(), xg.bytes());
  p.cpu->upload(yc.data(), y.data(), yc.bytes());
  p.gpu->upload(yg.data(), y.data(), yg.bytes());
  tc.clf_loss_and_grad(batch, xc.data(), yc.data(), 21);
  tg.clf_loss_and_grad(batch, xg.data(), yg.data(), 21);
  EXPECT_NEAR(tg.read_loss(), tc.read_loss(), 1e-5 * tc.read_loss());
  expect_tensors_close(tc.net(), tg.block().get_grads(*p.gpu), tc.block().get_grads(*p.cpu), 1e-4,
                       "gradient");
  std::vector<float> grad_cpu = tc.block().get_grads(*p.cpu);
  tc.optimizer().step(tc.block());
  tg.optimizer().step(tg.block());
  expect_adam_update_close(tc.net(), tg.block().get_params(*p.gpu), tc.block().get_params(*p.cpu),
                           grad_cpu, 1e-4, tc.optimizer().config().lr);
}

}  // namespace
}  // namespace hep2
