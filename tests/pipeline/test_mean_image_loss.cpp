// The reference loss of the collapse detector: the MSE of answering every training image with
// their per-pixel mean (AeTrainResult::mean_image_loss), computed here the slow way.
#include <gtest/gtest.h>

#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/training.h"
#include "support/random.h"

namespace hep2 {
namespace {

TEST(MeanImageLoss, IsThePixelVarianceOfTheTrainingImagesCountedWithRepeats) {
  auto be = make_cpu_backend(1);
  const Shape4 shape{7, 1, 8, 8};
  const std::vector<float> images = test::random_floats(31, shape.count(), 0.0, 1.0);
  DeviceImages data = upload_images(*be, shape, images, std::vector<int32_t>(7, 0));
  // Not every image, one of them twice, in no order.
  const std::vector<int> train = {5, 1, 3, 1, 6};

  const size_t per = shape.per_sample();
  double want = 0;
  for (size_t p = 0; p < per; ++p) {
    double mean = 0;
    for (int r : train) mean += images[size_t(r) * per + p] / double(train.size());
    for (int r : train) {
      double d = images[size_t(r) * per + p] - mean;
      want += d * d / double(train.size()) / double(per);
    }
  }

  DcaeConfig cfg;
  cfg.height = cfg.width = 8;
  cfg.channels = {2};
  Dcae dcae = build_dcae(cfg);
  OptimizerConfig adam;
  Trainer ae(*be, std::move(dcae.net), 4, adam);
  ae.init(InitScheme::Torch, 1);
  AeTrainOptions opt;
  opt.epochs = 0;  // only the reference loss
  opt.batch = 4;
  AeTrainState state;
  AeTrainResult res = train_autoencoder(ae, data, train, opt, state);
  EXPECT_NEAR(res.mean_image_loss, want, 1e-9);
  EXPECT_GT(want, 0.01);  // the data is not constant: the comparison means something
}

}  // namespace
}  // namespace hep2
