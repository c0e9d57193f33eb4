// Tests of the PNG report writers (confusion matrix, line plot, image grid) and their drawing
// helpers: each PNG decodes to the documented size, carries the data it was given (pixels that
// change with the data, colours in the right place), and is identical when written twice.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "data_fixtures.h"
#include "hep2/core/error.h"
#include "hep2/report/confusion_png.h"
#include "hep2/report/draw.h"
#include "hep2/report/image_grid.h"
#include "hep2/report/line_plot.h"
#include "hep2/report/metrics.h"

namespace hep2 {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

cv::Mat decode(const std::string& path) {
  const std::string bytes = read_file(path);
  const std::vector<uchar> buf(bytes.begin(), bytes.end());
  return cv::imdecode(buf, cv::IMREAD_UNCHANGED);
}

// Pixels within `tol` of a BGR colour on every channel.
int count_colour(const cv::Mat& img, const cv::Scalar& bgr, int tol) {
  int n = 0;
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) {
      const cv::Vec3b p = img.at<cv::Vec3b>(y, x);
      if (std::abs(p[0] - bgr[0]) <= tol && std::abs(p[1] - bgr[1]) <= tol &&
          std::abs(p[2] - bgr[2]) <= tol)
        ++n;
    }
  return n;
}

Metrics metrics_from(const std::vector<std::vector<int>>& cm) {
  std::vector<int32_t> truth, predicted;
  for (size_t t = 0; t < cm.size(); ++t)
    for (size_t p = 0; p < cm.size(); ++p)
      for (int i = 0; i < cm[t][p]; ++i) {
        truth.push_back(static_cast<int32_t>(t));
        predicted.push_back(static_cast<int32_t>(p));
      }
  return compute_metrics(truth, predicted, static_cast<int>(cm.size()));
}

// ---- ticks and labels --------------------------------------------------------------------------

TEST(Ticks, LinearTicksAreNiceAndCoverTheRange) {
  // [0, 1] with about 6 ticks: spacing 0.2.
  const draw::Ticks a = draw::nice_ticks(0, 1, 6);
  EXPECT_DOUBLE_EQ(a.step, 0.2);
  ASSERT_EQ(a.values.size(), 6u);
  EXPECT_DOUBLE_EQ(a.values.front(), 0);
  EXPECT_NEAR(a.values.back(), 1, 1e-12);
  // [0.013, 0.087], 5 ticks: range 0.074 -> nice 0.1; 0.1/4 = 0.025 rounds to 0.02; loose ends
  // floor(0.013/0.02) = 0 and ceil(0.087/0.02) = 5 -> 0, 0.02, ..., 0.1.
  const draw::Ticks b = draw::nice_ticks(0.013, 0.087, 5);
  EXPECT_DOUBLE_EQ(b.step, 0.02);
  ASSERT_EQ(b.values.size(), 6u);
  EXPECT_NEAR(b.values.back(), 0.1, 1e-12);
  // Properties on assorted ranges: ends outside the data, spacing 1, 2 or 5 x 10^k.
  const double ranges[][2] = {{-3.7, 12.2}, {1, 30},    {0.51, 0.53},
                              {1e5, 3.3e6}, {-1, -0.2}, {7, 7}};
  for (const auto& r : ranges) {
    const draw::Ticks t = draw::nice_ticks(r[0], r[1], 6);
    EXPECT_LE(t.values.front(), r[0]);
    EXPECT_GE(t.values.back(), r[1]);
    EXPECT_GE(t.values.size(), 3u);
    EXPECT_LE(t.values.size(), 12u);
    const double mantissa = t.step / std::pow(10.0, std::floor(std::log10(t.step)));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
                std::abs(mantissa - 5) < 1e-9)
        << t.step;
  }
  EXPECT_THROW(draw::nice_ticks(0, std::nan(""), 5), Error);
}

TEST(Ticks, LogTicksPreferDecadesThenOneTwoFive) {
  const draw::Ticks d = draw::log_ticks(0.001, 10);
  ASSERT_EQ(d.values.size(), 5u);
  const double decades[] = {0.001, 0.01, 0.1, 1, 10};
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(d.values[i], decades[i], decades[i] * 1e-12);
  // [0.02, 0.3] holds one decade (0.1) but four 1-2-5 values: 0.02, 0.05, 0.1, 0.2.
  const draw::Ticks f = draw::log_ticks(0.02, 0.3);
  ASSERT_EQ(f.values.size(), 4u);
  const double expected[] = {0.02, 0.05, 0.1, 0.2};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(f.values[i], expected[i], expected[i] * 1e-12);
  EXPECT_THROW(draw::log_ticks(0, 1), Error);
}

TEST(Ticks, LabelsUseTheDecimalsTheSpacingNeeds) {
  EXPECT_EQ(draw::tick_label(0.4, 0.2), "0.4");
  EXPECT_EQ(draw::tick_label(15, 5), "15");
  EXPECT_EQ(draw::tick_label(0.06, 0.02), "0.06");
  EXPECT_EQ(draw::tick_label(0, 0.02), "0");
  EXPECT_EQ(draw::tick_label(0.001, 0), "0.001");
  EXPECT_EQ(draw::tick_label(1e-5, 0), "1e-5");
  EXPECT_EQ(draw::tick_label(4e6, 1e6), "4e6");
  EXPECT_EQ(draw::tick_label(2.5e-7, 0), "2.5e-7");
}

// ---- confusion PNG -----------------------------------------------------------------------------

TEST(ConfusionPng, DecodesWithRoomForEveryCell) {
  TempDir dir;
  const Metrics m = metrics_from({{50, 3, 0, 1}, {4, 40, 6, 0}, {0, 5, 30, 2}, {1, 0, 2, 20}});
  const std::vector<std::string> names = {"homogeneous", "coarse speckled", "nucleolar",
                                          "centromere"};
  write_confusion_png(dir.file("c.png"), m, names, "test split");
  const cv::Mat img = decode(dir.file("c.png"));
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.type(), CV_8UC3);
  EXPECT_GE(img.cols, 4 * kConfusionCell + 100);  // cells plus margins for the names
  EXPECT_GE(img.rows, 4 * kConfusionCell + 100);
  // The diagonal shares (50/54 .. 20/23) are all above 85%: the darkest end of the ramp shows.
  EXPECT_GT(count_colour(img, cv::Scalar(107, 48, 8), 40), 4 * 60 * 60);
  // Written twice, the same bytes.
  write_confusion_png(dir.file("d.png"), m, names, "test split");
  EXPECT_EQ(read_file(dir.file("c.png")), read_file(dir.file("d.png")));
}

TEST(ConfusionPng, ChangesWithTheCounts) {
  TempDir dir;
  const std::vector<std::string> names = {"a", "b"};
  write_confusion_png(dir.file("x.png"), metrics_from({{9, 1}, {2, 8}}), names, "t");
  write_confusion_png(dir.file("y.png"), metrics_from({{5, 5}, {2, 8}}), names, "t");
  const cv::Mat x = decode(dir.file("x.png")), y = decode(dir.file("y.png"));
  ASSERT_EQ(x.size(), y.size());
  cv::Mat diff;
  cv::absdiff(x, y, diff);
  EXPECT_GT(cv::countNonZero(diff.reshape(1)), 1000);  // a whole row of cells recoloured
}

TEST(ConfusionPng, RejectsMismatchedNames) {
  TempDir dir;
  EXPECT_THROW(write_confusion_png(dir.file("c.png"), metrics_from({{1, 0}, {0, 1}}), {"a"}, "t"),
               Error);
  EXPECT_THROW(write_confusion_png(dir.file("c.png"), Metrics{}, {}, "t"), Error);
}

// ---- line plot ---------------------------------------------------------------------------------

TEST(LinePlot, RisingSeriesRisesOnThePicture) {
  TempDir dir;
  Series s;  // no name: no legend, so every pixel of its colour is the curve
  for (int i = 0; i <= 50; ++i) {
    s.x.push_back(i);
    s.y.push_back(0.2 * i);
  }
  write_line_plot_png(dir.file("l.png"), {s}, "rising", "epoch", "value", false);
  const cv::Mat img = decode(dir.file("l.png"));
  ASSERT_EQ(img.cols, kLinePlotWidth);
  ASSERT_EQ(img.rows, kLinePlotHeight);
  const cv::Scalar c = draw::series_colour(0);
  double row_sum[2] = {0, 0};
  int n[2] = {0, 0};
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) {
      const cv::Vec3b p = img.at<cv::Vec3b>(y, x);
      if (std::abs(p[0] - c[0]) < 10 && std::abs(p[1] - c[1]) < 10 && std::abs(p[2] - c[2]) < 10) {
        const int half = x < img.cols / 2 ? 0 : 1;
        row_sum[half] += y;
        ++n[half];
      }
    }
  ASSERT_GT(n[0], 50);
  ASSERT_GT(n[1], 50);
  // Image rows grow downwards: the left half of a rising curve sits lower (larger rows).
  EXPECT_GT(row_sum[0] / n[0], row_sum[1] / n[1] + 100);
}

TEST(LinePlot, EachSeriesGetsItsOwnColourAndTheOutputIsDeterministic) {
  TempDir dir;
  const Series train{"train", {1, 2, 3, 4, 5}, {0.09, 0.05, 0.03, 0.02, 0.015}};
  const Series val{"validation", {1, 2, 3, 4, 5}, {0.1, 0.07, 0.05, 0.045, 0.04}};
  write_line_plot_png(dir.file("a.png"), {train, val}, "loss", "epoch", "MSE", true);
  write_line_plot_png(dir.file("b.png"), {train, val}, "loss", "epoch", "MSE", true);
  EXPECT_EQ(read_file(dir.file("a.png")), read_file(dir.file("b.png")));
  const cv::Mat img = decode(dir.file("a.png"));
  ASSERT_EQ(img.cols, kLinePlotWidth);
  EXPECT_GT(count_colour(img, draw::series_colour(0), 8), 100);
  EXPECT_GT(count_colour(img, draw::series_colour(1), 8), 100);
  EXPECT_LT(count_colour(img, draw::series_colour(2), 8), 5);  // only two series drawn
  // Different data, different picture.
  const Series flat{"train", {1, 2, 3, 4, 5}, {0.05, 0.05, 0.05, 0.05, 0.05}};
  write_line_plot_png(dir.file("c.png"), {flat, val}, "loss", "epoch", "MSE", true);
  EXPECT_NE(read_file(dir.file("a.png")), read_file(dir.file("c.png")));
}

TEST(LinePlot, ToleratesGapsAndEmptyData) {
  TempDir dir;
  const Series s{"loss", {1, 2, 3, 4}, {0.5, std::nan(""), -1.0, 0.1}};  // NaN and, on log, -1
  EXPECT_NO_THROW(write_line_plot_png(dir.file("g.png"), {s}, "gaps", "epoch", "loss", true));
  EXPECT_NO_THROW(write_line_plot_png(dir.file("e.png"), {}, "empty", "epoch", "loss", false));
  EXPECT_EQ(decode(dir.file("e.png")).cols, kLinePlotWidth);
  EXPECT_THROW(
      write_line_plot_png(dir.file("x.png"), {Series{"bad", {1, 2}, {1}}}, "t", "x", "y", false),
      Error);
}

// ---- image grid
// ----------------------------------------------------------------------------------

TEST(ImageGrid, TilesHoldTheScaledValues) {
  TempDir dir;
  const int count = 3, h = 2, w = 3, scale = 4;
  std::vector<float> top(count * h * w), bottom(count * h * w);
  for (size_t i = 0; i < top.size(); ++i) {
    top[i] = static_cast<float>(i) / (top.size() - 1);  // 0 .. 1
    bottom[i] = 1.0f - top[i];
  }
  bottom[5] = 1.5f;   // clamped to 255
  bottom[6] = -0.2f;  // clamped to 0
  write_image_grid_png(dir.file("g.png"), top.data(), bottom.data(), count, h, w, scale);
  const cv::Mat img = decode(dir.file("g.png"));
  ASSERT_EQ(img.type(), CV_8UC1);
  const int tile_w = w * scale, tile_h = h * scale;
  ASSERT_EQ(img.cols, count * tile_w + (count - 1) * kGridGap);
  ASSERT_EQ(img.rows, 2 * tile_h + kGridGap);
  const auto expect_block = [&](int x0, int y0, float v, const char* what) {
    const float clamped = std::min(1.0f, std::max(0.0f, v));
    const int want = static_cast<int>(std::lround(clamped * 255.0f));
    for (int y = y0; y < y0 + scale; ++y)
      for (int x = x0; x < x0 + scale; ++x)
        ASSERT_EQ(img.at<uchar>(y, x), want) << what << " at " << x << "," << y;
  };
  expect_block(0, 0, top[0], "input 0, pixel (0,0)");
  expect_block(2 * scale, 1 * scale, top[1 * w + 2], "input 0, pixel (1,2)");
  const int x_of_2 = 2 * (tile_w + kGridGap);
  expect_block(x_of_2 + 1 * scale, 0, top[2 * h * w + 1], "input 2, pixel (0,1)");
  const int y_bottom = tile_h + kGridGap;
  expect_block(0, y_bottom, bottom[0], "reconstruction 0, pixel (0,0)");
  expect_block(2 * scale, y_bottom + scale, bottom[5], "reconstruction 0, pixel (1,2) (1.5)");
  expect_block(tile_w + kGridGap, y_bottom, bottom[6], "reconstruction 1, pixel (0,0) (-0.2)");
  EXPECT_EQ(img.at<uchar>(0, tile_w), kGridGapValue);  // the gap between tiles
  EXPECT_EQ(img.at<uchar>(tile_h, 0), kGridGapValue);  // between input and reconstruction
}

TEST(ImageGrid, SixteenImagesFitOneRowPair) {
  TempDir dir;
  const int count = 16, h = 3, w = 5, scale = 1;
  const std::vector<float> v(count * h * w, 0.5f);
  write_image_grid_png(dir.file("g.png"), v.data(), v.data(), count, h, w, scale);
  const cv::Mat img = decode(dir.file("g.png"));
  EXPECT_EQ(img.cols, 16 * w + 15 * kGridGap);
  EXPECT_EQ(img.rows, 2 * h + kGridGap);
}

TEST(ImageGrid, MoreThanSixteenWrapIntoBalancedRowPairs) {
  TempDir dir;
  // 17 images: two row pairs (17 > 16) of ceil(17 / 2) = 9 columns; image 9 opens pair two.
  const int count = 17, h = 4, w = 4, scale = 2;
  std::vector<float> top(count * h * w, 0.0f), bottom(count * h * w, 0.0f);
  for (int i = 0; i < h * w; ++i) top[9 * h * w + i] = 1.0f;      // image 9: white input
  for (int i = 0; i < h * w; ++i) bottom[16 * h * w + i] = 1.0f;  // image 16: white reconstruction
  write_image_grid_png(dir.file("g.png"), top.data(), bottom.data(), count, h, w, scale);
  const cv::Mat img = decode(dir.file("g.png"));
  const int tile = h * scale;
  ASSERT_EQ(img.cols, 9 * tile + 8 * kGridGap);
  ASSERT_EQ(img.rows, 2 * (2 * tile + kGridGap) + kGridPairGap);
  const int y0 = 2 * tile + kGridGap + kGridPairGap;  // top of the second row pair
  EXPECT_EQ(img.at<uchar>(y0, 0), 255);
  EXPECT_EQ(img.at<uchar>(y0 + tile - 1, tile - 1), 255);
  EXPECT_EQ(img.at<uchar>(0, 0), 0);
  // Image 16 is the 8th column of pair two (column index 7), in its reconstruction row.
  const int x16 = 7 * (tile + kGridGap);
  EXPECT_EQ(img.at<uchar>(y0 + tile + kGridGap, x16), 255);
  EXPECT_EQ(img.at<uchar>(y0, x16), 0);
  EXPECT_EQ(img.at<uchar>(y0, 8 * (tile + kGridGap)), kGridGapValue);  // the empty ninth slot
}

TEST(ImageGrid, RejectsBadArguments) {
  TempDir dir;
  const std::vector<float> v(16, 0.5f);
  EXPECT_THROW(write_image_grid_png(dir.file("g.png"), nullptr, v.data(), 1, 4, 4, 1), Error);
  EXPECT_THROW(write_image_grid_png(dir.file("g.png"), v.data(), v.data(), 0, 4, 4, 1), Error);
  EXPECT_THROW(write_image_grid_png(dir.file("g.png"), v.data(), v.data(), 1, 4, 4, 0), Error);
  EXPECT_THROW(write_image_grid_png(dir.file("g.png"), v.data(), v.data(), 1, 4, 4, 5000), Error);
  EXPECT_FALSE(fs::exists(dir.file("g.png")));
}

}  // namespace
}  // namespace hep2
