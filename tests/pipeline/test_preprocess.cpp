// Preprocess: channel choice, masking, the three normalisations and the aspect-preserving,
// centred resize. Expected values are computed here from the definitions (a percentile by
// sorting, a resize of a block image by hand), not read back from the code under test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "data_fixtures.h"
#include "hep2/pipeline/preprocess.h"

namespace hep2 {
namespace {

using test::error_of;

std::vector<float> run(const cv::Mat& image, const cv::Mat& mask, const PreprocessOptions& options) {
  std::vector<float> out(size_t(options.height * options.width), -1.0f);
  preprocess_cell(image, mask, options, out.data(), "test-image");
  return out;
}

PreprocessOptions same_size(int w, int h, Normalization norm) {
  PreprocessOptions o;
  o.width = w;
  o.height = h;
  o.norm = norm;
  return o;
}

// numpy's default percentile: linear between the order statistics around q * (n - 1).
double reference_percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const size_t lo = size_t(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

TEST(Preprocess, PercentileStretchesP1ToP99AndClamps) {
  // 10x10 values 0, 2, ..., 198 in a scrambled order.
  cv::Mat image(10, 10, CV_8U);
  std::vector<double> values;
  for (int i = 0; i < 100; ++i) {
    const int v = ((i * 37) % 100) * 2;
    image.at<unsigned char>(i / 10, i % 10) = static_cast<unsigned char>(v);
    values.push_back(v);
  }
  const double p1 = reference_percentile(values, 0.01), p99 = reference_percentile(values, 0.99);
  ASSERT_NEAR(p1, 1.98, 1e-12);  // sanity of the reference itself: 0.99 of the way from 0 to 2
  const auto out = run(image, cv::Mat(), same_size(10, 10, Normalization::Percentile));
  for (int i = 0; i < 100; ++i) {
    const double v = image.at<unsigned char>(i / 10, i % 10);
    const double want = std::clamp((v - p1) / (p99 - p1), 0.0, 1.0);
    EXPECT_NEAR(out[size_t(i)], want, 1e-6) << "pixel " << i << " value " << v;
  }
}

TEST(Preprocess, MaskZeroesOutsideAndStatisticsComeFromInside) {
  // Left half (the cell) alternates 50 and 150; the right half is a bright neighbour (250).
  cv::Mat image(4, 8, CV_8U), mask(4, 8, CV_8U);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) {
      image.at<unsigned char>(y, x) = x >= 4 ? 250 : ((x + y) % 2 ? 150 : 50);
      mask.at<unsigned char>(y, x) = x < 4 ? 255 : 0;
    }
  for (Normalization norm : {Normalization::Percentile, Normalization::MinMax}) {
    const auto out = run(image, mask, same_size(8, 4, norm));
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 8; ++x) {
        // Inside: 50 -> 0 and 150 -> 1, because 250 is not part of the statistics.
        const float want = x >= 4 ? 0.0f : ((x + y) % 2 ? 1.0f : 0.0f);
        EXPECT_FLOAT_EQ(out[size_t(y * 8 + x)], want) << to_string(norm) << " " << x << "," << y;
      }
  }
  PreprocessOptions unmasked = same_size(8, 4, Normalization::MinMax);
  unmasked.use_mask = false;
  const auto out = run(image, mask, unmasked);
  EXPECT_FLOAT_EQ(out[1], 0.5f);   // 150 of [50, 250]
  EXPECT_FLOAT_EQ(out[4], 1.0f);   // the neighbour is kept
}

TEST(Preprocess, MinMaxAndNoneOnEachDepth) {
  cv::Mat image8(1, 3, CV_8U);
  image8.at<unsigned char>(0, 0) = 20;
  image8.at<unsigned char>(0, 1) = 70;
  image8.at<unsigned char>(0, 2) = 220;
  auto out = run(image8, cv::Mat(), same_size(3, 1, Normalization::MinMax));
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], 0.25f);
  EXPECT_FLOAT_EQ(out[2], 1.0f);
  out = run(image8, cv::Mat(), same_size(3, 1, Normalization::None));
  EXPECT_FLOAT_EQ(out[1], 70.0f / 255.0f);

  cv::Mat image16(1, 2, CV_16U);
  image16.at<uint16_t>(0, 0) = 13107;  // 0.2 of 65535
  image16.at<uint16_t>(0, 1) = 65535;
  out = run(image16, cv::Mat(), same_size(2, 1, Normalization::None));
  EXPECT_FLOAT_EQ(out[0], 0.2f);
  EXPECT_FLOAT_EQ(out[1], 1.0f);

  cv::Mat image32(1, 3, CV_32F);
  image32.at<float>(0, 0) = 0.3f;
  image32.at<float>(0, 1) = 1.7f;                                     // clamped
  image32.at<float>(0, 2) = std::numeric_limits<float>::quiet_NaN();  // no intensity
  out = run(image32, cv::Mat(), same_size(3, 1, Normalization::None));
  EXPECT_FLOAT_EQ(out[0], 0.3f);
  EXPECT_FLOAT_EQ(out[1], 1.0f);
  EXPECT_FLOAT_EQ(out[2], 0.0f);
}

TEST(Preprocess, SixteenBitDetailSurvives) {
  // Values one count apart: an 8-bit conversion on the way would merge them.
  cv::Mat image(1, 100, CV_16U);
  for (int x = 0; x < 100; ++x) image.at<uint16_t>(0, x) = static_cast<uint16_t>(30000 + x);
  const auto out = run(image, cv::Mat(), same_size(100, 1, Normalization::MinMax));
  for (int x = 0; x < 100; ++x) EXPECT_NEAR(out[size_t(x)], x / 99.0, 1e-6) << x;
}

TEST(Preprocess, FlatCellBecomesZero) {
  const auto out = run(cv::Mat(5, 5, CV_8U, cv::Scalar(77)), cv::Mat(), same_size(5, 5, Normalization::Percentile));
  for (float v : out) EXPECT_EQ(v, 0.0f);
}

TEST(Preprocess, ShrinkingAWideImageKeepsACentredSquare) {
  // 40x20 with a 12x12 bright square at x 14..25, y 4..15 (centred). Into 20x20: scale 1/2, the
  // image becomes 20x10 placed at rows 5..14; INTER_AREA averages exact 2x2 blocks, so the square
  // becomes 6x6 at x 7..12, y 2..7 of the fitted image = rows 7..12 of the canvas.
  cv::Mat image(20, 40, CV_8U, cv::Scalar(0));
  image(cv::Rect(14, 4, 12, 12)).setTo(255);
  const auto out = run(image, cv::Mat(), same_size(20, 20, Normalization::None));
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) {
      const bool in_square = y >= 7 && y <= 12 && x >= 7 && x <= 12;
      EXPECT_FLOAT_EQ(out[size_t(y * 20 + x)], in_square ? 1.0f : 0.0f) << x << "," << y;
    }
}

TEST(Preprocess, GrowingATallImageCentresItWithPadding) {
  // 4 wide x 8 tall, constant 255 -> 8x16 fitted into 16x16 at columns 4..11.
  const cv::Mat image(8, 4, CV_8U, cv::Scalar(255));
  const auto out = run(image, cv::Mat(), same_size(16, 16, Normalization::None));
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x)
      EXPECT_FLOAT_EQ(out[size_t(y * 16 + x)], (x >= 4 && x <= 11) ? 1.0f : 0.0f) << x << "," << y;
}

TEST(Preprocess, FittedSizeKeepsAspect) {
  int w = 0, h = 0;
  fitted_size(77, 64, 64, 64, w, h);
  EXPECT_EQ(w, 64);
  EXPECT_EQ(h, 53);  // round(64 * 64 / 77) = round(53.19)
  fitted_size(30, 60, 64, 64, w, h);
  EXPECT_EQ(w, 32);
  EXPECT_EQ(h, 64);
  fitted_size(1000, 1, 64, 64, w, h);
  EXPECT_EQ(w, 64);
  EXPECT_EQ(h, 1);  // never collapses to zero
}

TEST(Preprocess, ChannelChoice) {
  // One BGR pixel per column: green brightest on average.
  cv::Mat bgr(1, 2, CV_8UC3);
  bgr.at<cv::Vec3b>(0, 0) = cv::Vec3b(200, 50, 100);  // B G R
  bgr.at<cv::Vec3b>(0, 1) = cv::Vec3b(0, 250, 10);
  auto pick = [&](Channel c) {
    PreprocessOptions o = same_size(2, 1, Normalization::None);
    o.channel = c;
    return run(bgr, cv::Mat(), o);
  };
  EXPECT_FLOAT_EQ(pick(Channel::Green)[0], 50.0f / 255.0f);
  EXPECT_FLOAT_EQ(pick(Channel::Red)[0], 100.0f / 255.0f);
  EXPECT_FLOAT_EQ(pick(Channel::Blue)[0], 200.0f / 255.0f);
  EXPECT_EQ(pick(Channel::Auto), pick(Channel::Green));  // mean G 150 > B 100 > R 55
  EXPECT_NEAR(pick(Channel::Gray)[0], (0.299 * 100 + 0.587 * 50 + 0.114 * 200) / 255.0, 1e-6);
  // A gray image has one channel, whatever is asked for.
  const cv::Mat gray(1, 1, CV_8U, cv::Scalar(51));
  PreprocessOptions o = same_size(1, 1, Normalization::None);
  o.channel = Channel::Red;
  EXPECT_FLOAT_EQ(run(gray, cv::Mat(), o)[0], 0.2f);
}

TEST(Preprocess, OutputAlwaysInUnitRange) {
  cv::Mat image(37, 23, CV_16U), mask(37, 23, CV_8U);
  cv::randu(image, 0, 65536);
  cv::randu(mask, 0, 2);
  for (Normalization norm : {Normalization::None, Normalization::MinMax, Normalization::Percentile}) {
    PreprocessOptions o;
    o.norm = norm;
    for (float v : run(image, mask, o)) {
      EXPECT_GE(v, 0.0f);
      EXPECT_LE(v, 1.0f);
    }
  }
}

TEST(Preprocess, MaskOfAnotherSizeIsAnErrorNamingTheImage) {
  const std::string message = error_of([] {
    std::vector<float> out(64 * 64);
    preprocess_cell(cv::Mat(4, 4, CV_8U, cv::Scalar(1)), cv::Mat(4, 5, CV_8U, cv::Scalar(1)), PreprocessOptions{},
                    out.data(), "cell_42.png");
  });
  EXPECT_NE(message.find("cell_42.png"), std::string::npos) << message;
}

TEST(Preprocess, NamesRoundTripAndUnknownNamesAreErrors) {
  for (Normalization n : {Normalization::None, Normalization::MinMax, Normalization::Percentile})
    EXPECT_EQ(parse_normalization(to_string(n)), n);
  for (Channel c : {Channel::Auto, Channel::Gray, Channel::Red, Channel::Green, Channel::Blue})
    EXPECT_EQ(parse_channel(to_string(c)), c);
  EXPECT_EQ(parse_normalization("PerCentile"), Normalization::Percentile);
  EXPECT_NE(error_of([] { parse_normalization("zscore"); }).find("zscore"), std::string::npos);
  EXPECT_NE(error_of([] { parse_channel("alpha"); }).find("alpha"), std::string::npos);
}

}  // namespace
}  // namespace hep2
