// CUDA graphs of the autoencoder step (Trainer::set_step_graphs) against the same steps run
// eagerly, on the GPU. Skipped without a device.
//
// The tolerance is none: a replay launches the very kernels, cuDNN plans and cuBLAS calls the
// eager step queues, with the same arguments and buffers, in the same order on one stream, and
// every per-step value (step count, warm-up rate, bias corrections) is computed on the device by
// the same kernel either way. So the loss curve and the parameters must agree bit for bit; any
// difference means the graph replays something other than the step (a baked-in host value, a
// stale workspace).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "support/gpu.h"

namespace hep2 {
namespace {

constexpr int kBatch = 16, kSide = 32;

struct Curve {
  std::vector<float> losses;  // one per step
  std::vector<float> state;   // parameters, gradients and both moments after the last step
  long steps = 0;
  size_t graphs = 0;
};

// `epochs` passes over `cells` random cells in batches of kBatch (the last one partial when
// cells % kBatch != 0), each batch copied into one fixed device buffer before its step, each
// step's loss to its own slot; the learning rate warms up over the first `warmup` steps.
Curve train(Backend& be, bool graphs, DecoderKind decoder, int cells, int epochs, double warmup) {
  DcaeConfig cfg;
  cfg.height = cfg.width = kSide;
  cfg.channels = {8, 16, 16};
  cfg.decoder = decoder;
  Trainer t(be, build_dcae(cfg).net, kBatch, OptimizerConfig{});
  t.init(InitScheme::Torch, 3);
  t.optimizer().set_warmup(warmup, 0);
  t.set_step_graphs(graphs);
  Rng rng(8);
  std::vector<float> host(size_t(cells) * kSide * kSide);
  for (float& v : host) v = float(rng.uniform());
  Buffer<float> data(be, host.size()), x(be, size_t(kBatch) * kSide * kSide);
  be.upload(data.data(), host.data(), data.bytes());
  const int per_epoch = (cells + kBatch - 1) / kBatch;
  Buffer<float> losses(be, size_t(per_epoch) * epochs);
  int step = 0;
  for (int e = 0; e < epochs; ++e)
    for (int b = 0; b < per_epoch; ++b, ++step) {
      const int first = b * kBatch, n = std::min(kBatch, cells - first);
      be.copy(x.data(), data.data() + size_t(first) * kSide * kSide,
              size_t(n) * kSide * kSide * sizeof(float));
      t.ae_step(n, x.data(), losses.data() + step);
    }
  Curve c;
  c.losses.resize(losses.size());
  be.download(c.losses.data(), losses.data(), losses.bytes());
  c.state = t.block().get_all(be);
  c.steps = t.optimizer().steps();
  c.graphs = t.captured_steps();
  return c;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(GpuStepGraph, GraphedTrainingGivesTheEagerLossCurveAndParametersBitForBit) {
  HEP2_REQUIRE_CUDA_DEVICE();
  auto be = make_cuda_backend(0);
  for (DecoderKind dec : {DecoderKind::Transposed, DecoderKind::Upsample}) {
    SCOPED_TRACE(dec == DecoderKind::Transposed ? "deconv decoder" : "upsample decoder");
    // 72 cells: four full batches and one of 8 per epoch, so two graphs; 3 epochs, and a warm-up
    // over 7 steps so the rate changes between replays of one graph.
    const Curve eager = train(*be, false, dec, 72, 3, 7);
    const Curve graphed = train(*be, true, dec, 72, 3, 7);
    EXPECT_EQ(eager.steps, 15);
    EXPECT_EQ(graphed.steps, 15);
    EXPECT_EQ(eager.graphs, 0u);
    EXPECT_EQ(graphed.graphs, 2u) << "one graph per batch size (16 and the last batch's 8)";
    EXPECT_TRUE(same_bits(graphed.losses, eager.losses)) << "loss curves differ";
    EXPECT_TRUE(same_bits(graphed.state, eager.state)) << "parameters or moments differ";
    // A control: the loss falls, so the steps really trained (a graph that replays nothing would
    // leave the parameters where the first step put them).
    EXPECT_LT(graphed.losses.back(), graphed.losses.front());
  }
}

TEST(GpuStepGraph, CaptureRefusesAnAllocationNamingTheCall) {
  HEP2_REQUIRE_CUDA_DEVICE();
  auto be = make_cuda_backend(0);
  ASSERT_TRUE(be->can_capture());
  void* p = nullptr;
  try {
    be->capture([&] { p = be->alloc(1024); });
    FAIL() << "an allocation inside a capture must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cudaMalloc"), std::string::npos) << e.what();
  }
  EXPECT_EQ(p, nullptr);
  // The backend stays usable after the failed capture.
  Buffer<float> b(*be, 4);
  be->fill(b.data(), 4, 2.f);
  std::vector<float> h(4);
  be->download(h.data(), b.data(), b.bytes());
  EXPECT_EQ(h, std::vector<float>(4, 2.f));
}

TEST(GpuStepGraph, EachReplayAdvancesTheDeviceStepCounter) {
  HEP2_REQUIRE_CUDA_DEVICE();
  auto be = make_cuda_backend(0);
  Buffer<math::StepState> state(*be, 1);
  math::StepState host;
  host.t = 5;
  be->upload(state.data(), &host, sizeof(host));
  math::StepSchedule schedule;
  schedule.warmup_steps = 4;
  schedule.warmup_start = 5;
  std::unique_ptr<CapturedWork> tick =
      be->capture([&] { be->advance_step(state.data(), schedule); });
  be->download(&host, state.data(), sizeof(host));
  EXPECT_EQ(host.t, 5) << "capturing must not run the work";
  for (int i = 0; i < 3; ++i) tick->replay();
  be->download(&host, state.data(), sizeof(host));
  EXPECT_EQ(host.t, 8) << "each replay must advance the counter on the device";
  EXPECT_EQ(host.lr, schedule.lr * float(3.0 / 4)) << "the ramp must follow the device counter";
}

}  // namespace
}  // namespace hep2
