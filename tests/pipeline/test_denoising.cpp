// The denoising DCAE (--ae-noise): the loss compares the reconstruction of the corrupted input
// with the clean image, and the corruption is a function of (seed, epoch, step) only, so a
// stopped and resumed run trains exactly like a straight one.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/error.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/training.h"
#include "support/random.h"

namespace hep2 {
namespace {

constexpr int kSide = 8;

std::unique_ptr<Trainer> tiny_dcae(Backend& be) {
  DcaeConfig cfg;
  cfg.height = cfg.width = kSide;
  cfg.channels = {3, 4};
  Dcae spec = build_dcae(cfg);
  OptimizerConfig adam;
  adam.lr = 1e-2f;
  auto t = std::make_unique<Trainer>(be, std::move(spec.net), 4, adam);
  t->init(InitScheme::Torch, 17);
  return t;
}


TEST(Denoising, TheLossComparesWithTheCleanTarget) {
  auto be = make_cpu_backend(1);
  auto ae = tiny_dcae(*be);
  const int batch = 3;
  const size_t count = size_t(batch) * kSide * kSide;
  const std::vector<float> x = test::random_floats(1, count, 0.0, 1.0);
  const std::vector<float> target = test::random_floats(2, count, 0.0, 1.0);
  Buffer<float> dx(*be, count), dt(*be, count);
  be->upload(dx.data(), x.data(), count * sizeof(float));
  be->upload(dt.data(), target.data(), count * sizeof(float));

  std::vector<float> z(count);
  be->download(z.data(), ae->forward(batch, dx.data(), false), count * sizeof(float));
  double want = 0, self = 0;
  for (size_t i = 0; i < count; ++i) {
    double s = 1.0 / (1.0 + std::exp(-double(z[i])));
    want += (s - target[i]) * (s - target[i]) / double(count);
    self += (s - x[i]) * (s - x[i]) / double(count);
  }
  ae->ae_loss_and_grad(batch, dx.data(), nullptr, dt.data());
  EXPECT_NEAR(ae->read_loss(), want, 1e-5);
  ae->ae_loss_and_grad(batch, dx.data());
  EXPECT_NEAR(ae->read_loss(), self, 1e-5);
  EXPECT_GT(std::abs(want - self), 1e-3);  // the two targets are told apart
}

struct Trained {
  std::vector<float> params;
  AeTrainResult result;
};

// Trains the tiny DCAE on 10 images for 2 epochs; stop_after >= 0 stops there and resumes.
Trained train(float noise, long stop_after) {
  auto be = make_cpu_backend(1);
  const Shape4 shape{10, 1, kSide, kSide};
  DeviceImages data =
      upload_images(*be, shape, test::random_floats(3, shape.count(), 0.0, 1.0),
                    std::vector<int32_t>(10, 0));
  std::vector<int> rows(10);
  for (int i = 0; i < 10; ++i) rows[i] = i;
  AeTrainOptions opt;
  opt.epochs = 2;
  opt.batch = 4;
  opt.noise = noise;
  opt.collapse_min_steps = 1000;  // a 6-step run says nothing about collapse
  auto ae = tiny_dcae(*be);
  AeTrainState state;
  Trained t;
  if (stop_after >= 0) {
    TrainControl stop;
    stop.stop_after_steps = stop_after;
    train_autoencoder(*ae, data, rows, opt, state, stop);
    EXPECT_FALSE(state.finished(opt.epochs));
    // A fresh trainer continues from the saved parameters and moments, as --resume does.
    std::vector<float> block = ae->block().get_all(*be);
    long steps = ae->optimizer().steps();
    auto ae2 = tiny_dcae(*be);
    ae2->block().set_all(*be, block);
    ae2->optimizer().set_steps(steps);
    t.result = train_autoencoder(*ae2, data, rows, opt, state);
    t.params = ae2->block().get_params(*be);
  } else {
    t.result = train_autoencoder(*ae, data, rows, opt, state);
    t.params = ae->block().get_params(*be);
  }
  return t;
}

TEST(Denoising, IsDeterministicResumableAndChangesTraining) {
  Trained a = train(0.3f, -1), b = train(0.3f, -1), plain = train(0.f, -1);
  EXPECT_EQ(a.params, b.params);
  EXPECT_NE(a.params, plain.params);
  Trained resumed = train(0.3f, 4);  // stopped inside the second epoch
  EXPECT_EQ(a.params, resumed.params);
  EXPECT_EQ(a.result.epochs.back().loss, resumed.result.epochs.back().loss);
}

TEST(Denoising, NoiseOutOfRangeIsRefused) {
  auto be = make_cpu_backend(1);
  auto ae = tiny_dcae(*be);
  const Shape4 shape{4, 1, kSide, kSide};
  DeviceImages data =
      upload_images(*be, shape, test::random_floats(4, shape.count(), 0.0, 1.0),
                    std::vector<int32_t>(4, 0));
  AeTrainOptions opt;
  opt.epochs = 1;
  opt.batch = 4;
  opt.noise = 1.f;
  AeTrainState state;
  EXPECT_THROW(train_autoencoder(*ae, data, {0, 1, 2, 3}, opt, state), Error);
}

}  // namespace
}  // namespace hep2
