// The denoising DCAE (--ae-noise): the loss compares the reconstruction of the corrupted input
// with the clean image, and the corruption is a function of (seed, epoch, step) only, so a
// stopped and resumed run trains exactly like a straight one.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hep2/core/error.h"
#include "support/tiny_ae_training.h"

namespace hep2 {
namespace {

using test::kTinySide;
using test::tiny_dcae;

TEST(Denoising, TheLossComparesWithTheCleanTarget) {
  auto be = make_cpu_backend(1);
  auto ae = tiny_dcae(*be, 17);
  const int batch = 3;
  const size_t count = size_t(batch) * kTinySide * kTinySide;
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

// Trains the tiny DCAE on 10 images for 2 epochs; stop_after >= 0 stops there and resumes.
test::TinyRun train(float noise, long stop_after) {
  AeTrainOptions opt;
  opt.epochs = 2;
  opt.noise = noise;
  opt.collapse_min_steps = 1000;  // a 6-step run says nothing about collapse
  return test::train_tiny_dcae(opt, 10, 3, 17, stop_after);
}

TEST(Denoising, IsDeterministicResumableAndChangesTraining) {
  const test::TinyRun a = train(0.3f, -1), b = train(0.3f, -1), plain = train(0.f, -1);
  EXPECT_EQ(a.after, b.after);
  EXPECT_NE(a.after, plain.after);
  const test::TinyRun resumed = train(0.3f, 4);  // stopped inside the second epoch
  EXPECT_EQ(a.after, resumed.after);
  EXPECT_EQ(a.result.epochs.back().loss, resumed.result.epochs.back().loss);
}

TEST(Denoising, NoiseOutOfRangeIsRefused) {
  auto be = make_cpu_backend(1);
  auto ae = tiny_dcae(*be, 17);
  const Shape4 shape{4, 1, kTinySide, kTinySide};
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
