// Texture features (--features stats): each cell's row is the per-channel mean, max and standard
// deviation of an encoder stage's maps, averaged over the 8 rotations/flips, computed here the
// slow way on the host; a turned cell gets the same row; bad requests are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/error.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/texture_features.h"
#include "hep2/pipeline/training.h"
#include "support/random.h"

namespace hep2 {
namespace {

std::vector<float> turned(const std::vector<float>& images, int n, int s, int sym) {
  std::vector<float> out(images.size());
  for (int i = 0; i < n; ++i)
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        int sy = 0, sx = 0;
        symmetry_source(sym, s, y, x, sy, sx);
        out[(size_t(i) * s + y) * s + x] = images[(size_t(i) * s + sy) * s + sx];
      }
  return out;
}

struct SmallDcae {
  std::unique_ptr<Backend> be = make_cpu_backend(2);
  DcaeConfig cfg;
  std::unique_ptr<Trainer> ae;
  static constexpr int n = 5, s = 16;
  std::vector<float> images = test::random_floats(21, size_t(n) * s * s, 0.0, 1.0);
  SmallDcae() {
    cfg.height = cfg.width = s;
    cfg.channels = {4, 6, 8};
    Dcae d = build_dcae(cfg);
    OptimizerConfig o;
    ae = std::make_unique<Trainer>(*be, std::move(d.net), 2, o);
    ae->init(InitScheme::Torch, 5);
  }
  std::vector<float> features(const std::vector<float>& imgs, int stage, int batch) {
    DeviceImages data = upload_images(*be, {n, 1, s, s}, imgs, std::vector<int32_t>(n, 0));
    DeviceFeatures f =
        extract_texture_features(*ae, encoder_stage_end(cfg, stage), data, batch);
    EXPECT_EQ(f.count, n);
    EXPECT_EQ(f.views, 1);
    return download_features(*be, f);
  }
};

TEST(TextureFeatures, AreTheChannelStatisticsOfTheStageAveragedOverTheEightViews) {
  SmallDcae t;
  const int stage = 2, channels = 6, positions = 4 * 4;
  std::vector<float> got = t.features(t.images, stage, 2);  // batches of 2, 2 and 1
  ASSERT_EQ(got.size(), size_t(t.n) * 3 * channels);
  std::vector<double> want(got.size(), 0.0);
  for (int sym = 0; sym < 8; ++sym) {
    std::vector<float> view = turned(t.images, t.n, t.s, sym);
    Buffer<float> x(*t.be, view.size());
    t.be->upload(x.data(), view.data(), x.bytes());
    for (int i = 0; i < t.n; ++i) {  // one cell at a time through the first two stages
      const float* y = t.ae->forward(1, x.data() + size_t(i) * t.s * t.s, false, 0,
                                     encoder_stage_end(t.cfg, stage));
      std::vector<float> maps(size_t(channels) * positions);
      t.be->download(maps.data(), y, maps.size() * sizeof(float));
      for (int c = 0; c < channels; ++c) {
        const float* v = maps.data() + c * positions;
        double sum = 0, top = v[0], sq = 0;
        for (int p = 0; p < positions; ++p) sum += v[p], top = std::max<double>(top, v[p]);
        const double mean = sum / positions;
        for (int p = 0; p < positions; ++p) sq += (v[p] - mean) * (v[p] - mean);
        double* row = want.data() + size_t(i) * 3 * channels;
        row[c] += mean / 8;
        row[channels + c] += top / 8;
        row[2 * channels + c] += std::sqrt(sq / positions) / 8;
      }
    }
  }
  double spread = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-5 * (1 + std::fabs(want[i]))) << i;
    spread = std::max(spread, std::fabs(want[i] - want[i % (3 * channels)]));
  }
  EXPECT_GT(spread, 1e-3);  // cells differ: the rows are not all one constant
}

TEST(TextureFeatures, ATurnedCellHasTheSameFeatures) {
  SmallDcae t;
  std::vector<float> a = t.features(t.images, 3, 4);
  for (int sym : {1, 3, 6}) {
    std::vector<float> b = t.features(turned(t.images, t.n, t.s, sym), 3, 4);
    for (size_t i = 0; i < a.size(); ++i)  // the same 8 views, summed in another order
      ASSERT_NEAR(a[i], b[i], 1e-5 * (1 + std::fabs(a[i]))) << sym << " " << i;
  }
  // The plain latent of a turned cell is not the same: the invariance is the averaging's doing.
  DeviceImages d0 = upload_images(*t.be, {t.n, 1, t.s, t.s}, t.images, std::vector<int32_t>(t.n, 0));
  DeviceImages d1 = upload_images(*t.be, {t.n, 1, t.s, t.s}, turned(t.images, t.n, t.s, 1),
                                  std::vector<int32_t>(t.n, 0));
  const size_t end = encoder_stage_end(t.cfg, 3);
  EXPECT_NE(download_features(*t.be, extract_features(*t.ae, end, d0, 4)),
            download_features(*t.be, extract_features(*t.ae, end, d1, 4)));
}

TEST(TextureFeatures, RefuseMissingStagesAndNonSquareImages) {
  SmallDcae t;
  EXPECT_THROW(encoder_stage_end(t.cfg, 0), Error);
  EXPECT_THROW(encoder_stage_end(t.cfg, 4), Error);
  DcaeConfig wide;
  wide.height = 8;
  wide.width = 16;
  wide.channels = {4};
  Dcae d = build_dcae(wide);
  Trainer ae(*t.be, std::move(d.net), 2, OptimizerConfig{});
  ae.init(InitScheme::Torch, 1);
  DeviceImages data = upload_images(*t.be, {2, 1, 8, 16}, std::vector<float>(2 * 8 * 16, 0.5f),
                                    std::vector<int32_t>(2, 0));
  EXPECT_THROW(extract_texture_features(ae, encoder_stage_end(wide, 1), data, 2), Error);
}

}  // namespace
}  // namespace hep2
