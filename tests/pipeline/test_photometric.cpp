// Photometric changes (feature augmentation): their names, and what preprocess_cell does with
// them. Expected images are computed here from the definitions (x^gamma of the unchanged
// output; a Gaussian's effect on a step and on a flat region), not read back from the code.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <vector>

#include "data_fixtures.h"
#include "hep2/pipeline/photometric.h"
#include "hep2/pipeline/preprocess.h"

namespace hep2 {
namespace {

using test::error_of;

TEST(Photometric, TokensParseAndNameThemselves) {
  const Photometric g = parse_photometric("gamma2");
  EXPECT_EQ(g.gamma, 2.0f);
  EXPECT_EQ(g.blur, 0.0f);
  const Photometric b = parse_photometric("blur0.5");
  EXPECT_EQ(b.gamma, 1.0f);
  EXPECT_EQ(b.blur, 0.5f);
  const Photometric both = parse_photometric("blur1+gamma1.5");
  EXPECT_EQ(both.gamma, 1.5f);
  EXPECT_EQ(both.blur, 1.0f);
  for (const char* t : {"gamma2", "blur0.5", "gamma1.5+blur1"})
    EXPECT_EQ(to_string(parse_photometric(t)), t);
  EXPECT_EQ(to_string(Photometric{}), "none");
  EXPECT_TRUE(Photometric{}.identity());
  EXPECT_FALSE(g.identity());
  EXPECT_EQ(parse_photometric_list({"gamma2", "blur1"}).size(), 2u);
}

TEST(Photometric, BadTokensAreRefusedNamingThemAndTheForm) {
  for (const char* t : {"", "gama2", "gamma", "gamma0", "gamma-1", "gamma11", "blur0", "blur21",
                        "gamma2x", "gamma2+", "gamma2+gamma3", "blur1++gamma2", "gamma nan"}) {
    const std::string e = error_of([&] { parse_photometric(t); });
    EXPECT_NE(e.find(std::string("'") + t + "'"), std::string::npos) << t << ": " << e;
    EXPECT_NE(e.find("gamma2+blur1"), std::string::npos) << t << ": " << e;
  }
  EXPECT_FALSE(error_of([] { parse_photometric_list({"gamma2", "blur"}); }).empty());
}

std::vector<float> preprocessed(const cv::Mat& image, const cv::Mat& mask, const Photometric& p) {
  PreprocessOptions o;
  o.width = image.cols;  // the canvas fits the image: no resize, so pixels compare one to one
  o.height = image.rows;
  o.photometric = p;
  std::vector<float> out(size_t(o.width * o.height));
  preprocess_cell(image, mask, o, out.data(), "test-image");
  return out;
}

cv::Mat ramp(int w, int h) {
  cv::Mat image(h, w, CV_8U);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      image.at<unsigned char>(y, x) = static_cast<unsigned char>((x * 37 + y * 11) % 256);
  return image;
}

TEST(Photometric, GammaRaisesTheNormalisedIntensities) {
  const cv::Mat image = ramp(12, 10);
  const std::vector<float> plain = preprocessed(image, cv::Mat(), Photometric{});
  const std::vector<float> darker = preprocessed(image, cv::Mat(), parse_photometric("gamma2"));
  const std::vector<float> lighter = preprocessed(image, cv::Mat(), parse_photometric("gamma0.5"));
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_NEAR(darker[i], plain[i] * plain[i], 1e-6) << i;
    EXPECT_NEAR(lighter[i], std::sqrt(plain[i]), 1e-6) << i;
  }
}

TEST(Photometric, BlurSoftensInsideTheMaskAndLeavesTheBackgroundZero) {
  // A 20x20 cell (mask: the middle 12x12) of vertical stripes 2 pixels wide, 0 and 200.
  cv::Mat image(20, 20, CV_8U), mask(20, 20, CV_8U, cv::Scalar(0));
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) image.at<unsigned char>(y, x) = (x / 2) % 2 ? 200 : 0;
  mask(cv::Rect(4, 4, 12, 12)).setTo(255);
  const std::vector<float> plain = preprocessed(image, mask, Photometric{});
  const std::vector<float> soft = preprocessed(image, mask, parse_photometric("blur1"));
  double var_plain = 0, var_soft = 0, mean_plain = 0, mean_soft = 0;
  int inside = 0;
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) {
      const size_t i = size_t(y * 20 + x);
      if (!mask.at<unsigned char>(y, x)) {
        EXPECT_EQ(soft[i], 0.0f) << "background pixel " << x << "," << y;
        continue;
      }
      mean_plain += plain[i];
      mean_soft += soft[i];
      ++inside;
    }
  mean_plain /= inside;
  mean_soft /= inside;
  for (int y = 4; y < 16; ++y)
    for (int x = 4; x < 16; ++x) {
      const size_t i = size_t(y * 20 + x);
      var_plain += (plain[i] - mean_plain) * (plain[i] - mean_plain);
      var_soft += (soft[i] - mean_soft) * (soft[i] - mean_soft);
    }
  // Stripes of period 4 under a sigma-1 Gaussian keep exp(-2 pi^2 / 16) = 0.29 of their
  // amplitude: well under half the variance remains.
  EXPECT_LT(var_soft, 0.5 * var_plain);
  EXPECT_GT(var_soft, 0.0);
  // Away from the edges a column of a uniform row band is still uniform down the column.
  for (int y = 8; y < 12; ++y)
    EXPECT_NEAR(soft[size_t(y * 20 + 9)], soft[size_t(8 * 20 + 9)], 1e-6);
}

TEST(Photometric, NoChangeLeavesPreprocessingAsItWas) {
  const cv::Mat image = ramp(9, 7);
  PreprocessOptions a, b;
  a.width = b.width = 16;
  a.height = b.height = 16;
  b.photometric = Photometric{};
  std::vector<float> x(256), y(256);
  preprocess_cell(image, cv::Mat(), a, x.data(), "a");
  preprocess_cell(image, cv::Mat(), b, y.data(), "b");
  EXPECT_EQ(x, y);
}

}  // namespace
}  // namespace hep2
