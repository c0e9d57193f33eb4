// The classifier's views of a cell: features of the 8 rotations/flips, the feature scaler fitted
// on all of them (per feature or pooled, and which one auto means), training on a random view per
// epoch and predictions averaged over the views.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/training.h"
#include "support/random.h"

namespace hep2 {
namespace {


// images (n x c x s x s) under symmetry `sym`, done the slow way on the host.
std::vector<float> transformed(const std::vector<float>& images, int n, int c, int s, int sym) {
  std::vector<float> out(images.size());
  for (int i = 0; i < n; ++i)
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < s; ++y)
        for (int x = 0; x < s; ++x) {
          int sy = 0, sx = 0;
          symmetry_source(sym, s, y, x, sy, sx);
          size_t plane = (size_t(i) * c + ch) * s * s;
          out[plane + size_t(y) * s + x] = images[plane + size_t(sy) * s + sx];
        }
  return out;
}

OptimizerConfig adam(float lr) {
  OptimizerConfig o;
  o.lr = lr;
  return o;
}

TEST(Views, ExtractedViewsAreTheFeaturesOfTheTurnedImages) {
  auto be = make_cpu_backend(2);
  DcaeConfig cfg;
  cfg.height = cfg.width = 16;
  cfg.channels = {4, 8};
  Dcae dcae = build_dcae(cfg);
  const size_t latent_end = dcae.latent_end;
  Trainer ae(*be, std::move(dcae.net), 2, adam(1e-3f));
  ae.init(InitScheme::Torch, 7);
  const int n = 5;  // batches of 2, 2 and 1
  const Shape4 shape{n, 1, 16, 16};
  std::vector<float> images = test::random_floats(11, shape.count(), 0.0, 1.0);
  DeviceImages data = upload_images(*be, shape, images, std::vector<int32_t>(n, 0));

  DeviceFeatures all = extract_features(ae, latent_end, data, 2, 8);
  ASSERT_EQ(all.count, n);
  ASSERT_EQ(all.views, 8);
  ASSERT_EQ(all.rows(), size_t(8 * n));
  std::vector<float> got = download_features(*be, all);
  const size_t dim = size_t(all.dim);
  for (int v = 0; v < 8; ++v) {
    DeviceImages turned = upload_images(*be, shape, transformed(images, n, 1, 16, v),
                                        std::vector<int32_t>(n, 0));
    DeviceFeatures one = extract_features(ae, latent_end, turned, 2, 1);
    std::vector<float> want = download_features(*be, one);
    ASSERT_EQ(want.size(), size_t(n) * dim);
    for (size_t k = 0; k < want.size(); ++k)
      ASSERT_EQ(got[size_t(v) * n * dim + k], want[k]) << "view " << v << " value " << k;
  }
  // A symmetric latent would hide a wrong transform: the views must differ from each other.
  EXPECT_NE(std::vector<float>(got.begin(), got.begin() + dim),
            std::vector<float>(got.begin() + n * dim, got.begin() + (n + 1) * dim));

  EXPECT_THROW(extract_features(ae, latent_end, data, 2, 9), Error);
  EXPECT_THROW(extract_features(ae, latent_end, data, 2, 0), Error);
}

TEST(Views, ScalerIsFittedOnEveryViewOfTheTrainingCells) {
  auto be = make_cpu_backend(1);
  // 3 cells, 2 views, 2 features; the scaler sees cells 0 and 2 only (both views).
  DeviceFeatures f;
  f.count = 3;
  f.views = 2;
  f.dim = 2;
  const std::vector<float> v = {1, 10,   5, 50,   3, 30,     // view 0: cells 0, 1, 2
                                2, 20,   7, 70,   6, 60};    // view 1
  f.values = Buffer<float>(*be, v.size());
  be->upload(f.values.data(), v.data(), v.size() * sizeof(float));
  FeatureScaler s = fit_feature_scaler(*be, f, {0, 2});
  // column 0 over {1, 3, 2, 6}: mean 3, variance (4 + 0 + 1 + 9) / 4 = 3.5
  EXPECT_FLOAT_EQ(s.mean[0], 3.f);
  EXPECT_FLOAT_EQ(s.mean[1], 30.f);
  EXPECT_NEAR(s.inv_std[0], 1.0 / std::sqrt(3.5), 1e-6);
  EXPECT_NEAR(s.inv_std[1], 1.0 / std::sqrt(350.0), 1e-7);
  apply_feature_scaler(*be, s, f);
  std::vector<float> out = download_features(*be, f);
  EXPECT_NEAR(out[10], (6.f - 3.f) / std::sqrt(3.5f), 1e-5);  // last row (view 1, cell 2) too
}

TEST(Views, PooledScalingCentresEachFeatureAndSharesOneDeviation) {
  auto be = make_cpu_backend(1);
  // 4 cells, 3 features: a wide one, a narrow one, one that never varies.
  DeviceFeatures f;
  f.count = 4;
  f.dim = 3;
  const std::vector<float> v = {0, 1, 7,   4, 1.5f, 7,   8, 1, 7,   4, 0.5f, 7};
  f.values = Buffer<float>(*be, v.size());
  be->upload(f.values.data(), v.data(), v.size() * sizeof(float));
  const FeatureScaler per = fit_feature_scaler(*be, f, {0, 1, 2, 3});
  const FeatureScaler pooled = fit_feature_scaler(*be, f, {0, 1, 2, 3}, FeatureScaling::Pooled);
  // variances 8, 0.125 and 0: per feature 1/sqrt(8), 1/sqrt(0.125), the floor 1/1e-3;
  // pooled, all 1/sqrt((8 + 0.125 + 0) / 3).
  EXPECT_NEAR(per.inv_std[0], 1.0 / std::sqrt(8.0), 1e-6);
  EXPECT_NEAR(per.inv_std[1], 1.0 / std::sqrt(0.125), 1e-5);
  EXPECT_NEAR(per.inv_std[2], 1e3, 1e-2);
  EXPECT_EQ(per.scaling, FeatureScaling::PerFeature);  // what metrics.json reports
  EXPECT_EQ(pooled.scaling, FeatureScaling::Pooled);
  for (int j = 0; j < 3; ++j) {
    EXPECT_FLOAT_EQ(pooled.mean[j], per.mean[j]) << j;
    EXPECT_NEAR(pooled.inv_std[j], 1.0 / std::sqrt(8.125 / 3), 1e-6) << j;
  }
  // A narrow feature stays narrow: its values keep their size beside the wide one's.
  apply_feature_scaler(*be, pooled, f);
  const std::vector<float> out = download_features(*be, f);
  EXPECT_NEAR(out[4], 0.5 / std::sqrt(8.125 / 3), 1e-6);  // cell 1, feature 1
  EXPECT_THROW(fit_feature_scaler(*be, f, {0}, FeatureScaling::Auto), Error);
}

TEST(Views, AutoScalingIsPooledForTheDcaesLatentAndPerFeatureElsewhere) {
  using enum FeatureScaling;
  EXPECT_EQ(resolve_scaling(Auto, Method::Dcae, FeatureKind::Latent), Pooled);
  EXPECT_EQ(resolve_scaling(Auto, Method::Dcae, FeatureKind::Stats), PerFeature);
  EXPECT_EQ(resolve_scaling(Auto, Method::Hybrid, FeatureKind::Latent), PerFeature);  // two kinds side by side
  EXPECT_EQ(resolve_scaling(PerFeature, Method::Dcae, FeatureKind::Latent), PerFeature);
  EXPECT_EQ(resolve_scaling(Pooled, Method::Dcae, FeatureKind::Stats), Pooled);
}

TEST(Views, PredictionsAreTheMeanOverViews) {
  auto be = make_cpu_backend(2);
  MlpConfig cfg;
  cfg.inputs = 16;
  cfg.hidden = {7};
  cfg.classes = 3;
  Trainer mlp(*be, build_mlp(cfg), 4, adam(1e-3f));
  mlp.init(InitScheme::Torch, 3);
  const int cells = 9, views = 3;
  std::vector<float> values = test::random_floats(5, size_t(cells) * views * 16, -2.0, 2.0);
  Buffer<float> dev(*be, values.size());
  be->upload(dev.data(), values.data(), values.size() * sizeof(float));
  const std::vector<int> rows = {8, 0, 3, 3, 5};

  SampleSet set{dev.data(), Shape4{1, 16, 1, 1}, cells, false, views, true};
  std::vector<float> mean = predict_probabilities(mlp, set, rows);
  std::vector<float> want(rows.size() * 3, 0.f);
  for (int v = 0; v < views; ++v) {
    SampleSet one{dev.data() + size_t(v) * cells * 16, Shape4{1, 16, 1, 1}, cells, false, 1, true};
    std::vector<float> p = predict_probabilities(mlp, one, rows);
    for (size_t k = 0; k < p.size(); ++k) want[k] += p[k] / views;
  }
  ASSERT_EQ(mean.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(mean[k], want[k], 1e-6) << k;

  // Images: view v is the image under symmetry v, turned while gathering.
  std::vector<float> images(values.begin(), values.begin() + cells * 16);
  SampleSet img{dev.data(), Shape4{1, 1, 4, 4}, cells, false, 8, false};
  std::vector<float> img_mean = predict_probabilities(mlp, img, rows);
  std::vector<float> img_want(rows.size() * 3, 0.f);
  Buffer<float> turned(*be, images.size());
  for (int v = 0; v < 8; ++v) {
    std::vector<float> t = transformed(images, cells, 1, 4, v);
    be->upload(turned.data(), t.data(), t.size() * sizeof(float));
    SampleSet one{turned.data(), Shape4{1, 1, 4, 4}, cells, false, 1, false};
    std::vector<float> p = predict_probabilities(mlp, one, rows);
    for (size_t k = 0; k < p.size(); ++k) img_want[k] += p[k] / 8;
  }
  for (size_t k = 0; k < img_want.size(); ++k) EXPECT_NEAR(img_mean[k], img_want[k], 1e-6) << k;
}

TEST(Views, TheClassifierTrainsOnEveryView) {
  // View 0 of every cell is noise; view 1 carries the label. A classifier that learned from
  // view 1 rows classifies them; one that only ever saw view 0 could not.
  auto be = make_cpu_backend(2);
  const int cells = 120, dim = 8, views = 2;
  std::vector<float> values = test::random_floats(21, size_t(cells) * views * dim, -1.0, 1.0);
  std::vector<int32_t> labels(cells);
  for (int i = 0; i < cells; ++i) {
    labels[i] = i % 2;
    float* x = values.data() + (size_t(cells) + i) * dim;  // view 1
    x[0] = labels[i] ? 3.f : -3.f;
  }
  Buffer<float> dev(*be, values.size());
  be->upload(dev.data(), values.data(), values.size() * sizeof(float));
  Buffer<int32_t> dl(*be, labels.size());
  be->upload(dl.data(), labels.data(), labels.size() * sizeof(int32_t));
  std::vector<int> train(cells);
  for (int i = 0; i < cells; ++i) train[i] = i;

  MlpConfig cfg;
  cfg.inputs = dim;
  cfg.hidden = {16};
  cfg.classes = 2;
  Trainer mlp(*be, build_mlp(cfg), 16, adam(1e-2f));
  mlp.init(InitScheme::Torch, 9);
  ClfTrainOptions opt;
  opt.epochs = 40;
  opt.batch = 16;
  SampleSet set{dev.data(), Shape4{1, dim, 1, 1}, cells, false, views, true};
  train_classifier(mlp, set, dl, train, {}, opt);

  SampleSet view1{dev.data() + size_t(cells) * dim, Shape4{1, dim, 1, 1}, cells, false, 1, true};
  std::vector<int32_t> pred = argmax_rows(predict_probabilities(mlp, view1, train), 2);
  int correct = 0;
  for (int i = 0; i < cells; ++i) correct += pred[i] == labels[i];
  EXPECT_GE(correct, cells * 95 / 100);
}

}  // namespace
}  // namespace hep2
