// ImageIo: decoding every stored form a cell image comes in (8/16-bit, float, gray, gray+alpha,
// RGB, RGBA, palette; PNG, TIFF, BMP, JPEG) and the errors for files that cannot be used.
// The palette, gray+alpha, 16-bit and float fixtures below were encoded by Pillow, not OpenCV,
// so decoding is checked against an independent encoder; the expected pixel values are the
// ones given to Pillow.
#include <gtest/gtest.h>

#include <string>

#include <opencv2/imgcodecs.hpp>

#include "data_fixtures.h"
#include "hep2/io/image_io.h"

namespace hep2 {
namespace {

using test::error_of;
using test::TempDir;

// Pillow: 3x2 palette PNG (2-bit indices 0 1 2 / 3 2 1) with palette (255,0,0) (0,255,0)
// (10,20,30) (200,100,50).
// Pillow: 3x2 gray+alpha PNG, gray 10 20 30 / 40 50 60.
// Pillow: 3x2 16-bit gray PNG and TIFF, 0 1 1000 / 40000 65535 12345.
// Pillow: 3x2 float32 TIFF, 0 0.125 0.7 / 0.001 0.999 0.333333.
const unsigned char kPalettePng[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x02, 0x03, 0x00, 0x00, 0x00, 0xe0, 0x1a, 0x8e,
    0x89, 0x00, 0x00, 0x00, 0x0c, 0x50, 0x4c, 0x54, 0x45, 0xff, 0x00, 0x00, 0x00, 0xff, 0x00, 0x0a,
    0x14, 0x1e, 0xc8, 0x64, 0x32, 0xf7, 0x7c, 0x4a, 0x46, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41,
    0x54, 0x78, 0x9c, 0x63, 0x90, 0x60, 0x78, 0x02, 0x00, 0x01, 0x30, 0x00, 0xfd, 0x56, 0xcd, 0x1c,
    0x73, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
const unsigned char kGrayAlphaPng[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x04, 0x00, 0x00, 0x00, 0x37, 0x7d, 0xae,
    0x91, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xe0, 0xfa, 0x2f, 0xd2,
    0x20, 0xc7, 0xc0, 0xa8, 0xf1, 0x9f, 0x8b, 0x81, 0x8b, 0x1b, 0x00, 0x19, 0xa7, 0x03, 0x03, 0x36,
    0x84, 0xa3, 0x73, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
const unsigned char kGray16Png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x8f, 0xe5,
    0x85, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0x60,
    0x64, 0x7e, 0xc1, 0x30, 0xc7, 0xe1, 0xff, 0x7f, 0x03, 0x4b, 0x00, 0x13, 0xed, 0x04, 0x30, 0xc4,
    0xcf, 0xab, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
const unsigned char kGray16Tiff[] = {
    0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x01, 0x04, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x00, 0x00, 0x02, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x03, 0x01,
    0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x11, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x7a, 0x00,
    0x00, 0x00, 0x16, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x17, 0x01,
    0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x1c, 0x01, 0x03, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xe8, 0x03,
    0x40, 0x9c, 0xff, 0xff, 0x39, 0x30,
};
const unsigned char kFloatTiff[] = {
    0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x04, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x00, 0x00, 0x02, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x03, 0x01,
    0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x11, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x86, 0x00,
    0x00, 0x00, 0x16, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x17, 0x01,
    0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x1c, 0x01, 0x03, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x53, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3e, 0x33, 0x33,
    0x33, 0x3f, 0x6f, 0x12, 0x83, 0x3a, 0x77, 0xbe, 0x7f, 0x3f, 0x9f, 0xaa, 0xaa, 0x3e,
};

template <size_t N>
std::string bytes_of(const unsigned char (&data)[N]) {
  return std::string(reinterpret_cast<const char*>(data), N);
}

TEST(ImageIo, PalettePngDecodesToItsColours) {
  TempDir dir;
  const std::string path = dir.file("palette.png");
  test::write_text(path, bytes_of(kPalettePng));
  const cv::Mat image = read_image(path);
  ASSERT_EQ(image.type(), CV_8UC3);
  ASSERT_EQ(image.cols, 3);
  ASSERT_EQ(image.rows, 2);
  const int index[2][3] = {{0, 1, 2}, {3, 2, 1}};
  const int rgb[4][3] = {{255, 0, 0}, {0, 255, 0}, {10, 20, 30}, {200, 100, 50}};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) {
      const cv::Vec3b bgr = image.at<cv::Vec3b>(y, x);
      const int* want = rgb[index[y][x]];
      EXPECT_EQ(bgr[2], want[0]) << x << "," << y;
      EXPECT_EQ(bgr[1], want[1]) << x << "," << y;
      EXPECT_EQ(bgr[0], want[2]) << x << "," << y;
    }
}

TEST(ImageIo, GrayAlphaPngKeepsTheGrayValues) {
  TempDir dir;
  const std::string path = dir.file("la.png");
  test::write_text(path, bytes_of(kGrayAlphaPng));
  const cv::Mat image = read_image(path);
  ASSERT_EQ(image.depth(), CV_8U);
  ASSERT_EQ(image.size(), cv::Size(3, 2));
  // OpenCV expands gray+alpha to BGRA; every colour channel carries the gray value.
  const int gray[2][3] = {{10, 20, 30}, {40, 50, 60}};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < std::min(image.channels(), 3); ++c)
        EXPECT_EQ(image.ptr<unsigned char>(y)[x * image.channels() + c], gray[y][x]);
}

void expect_gray16(const cv::Mat& image) {
  ASSERT_EQ(image.type(), CV_16UC1);
  ASSERT_EQ(image.size(), cv::Size(3, 2));
  const int want[2][3] = {{0, 1, 1000}, {40000, 65535, 12345}};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) EXPECT_EQ(image.at<uint16_t>(y, x), want[y][x]) << x << "," << y;
}

TEST(ImageIo, SixteenBitPngKeepsFullPrecision) {
  TempDir dir;
  const std::string path = dir.file("g16.png");
  test::write_text(path, bytes_of(kGray16Png));
  expect_gray16(read_image(path));
}

TEST(ImageIo, SixteenBitTiffKeepsFullPrecision) {
  TempDir dir;
  const std::string path = dir.file("g16.tif");
  test::write_text(path, bytes_of(kGray16Tiff));
  expect_gray16(read_image(path));
}

TEST(ImageIo, FloatTiffKeepsItsValues) {
  TempDir dir;
  const std::string path = dir.file("f32.tiff");
  test::write_text(path, bytes_of(kFloatTiff));
  const cv::Mat image = read_image(path);
  ASSERT_EQ(image.type(), CV_32FC1);
  ASSERT_EQ(image.size(), cv::Size(3, 2));
  const float want[2][3] = {{0.0f, 0.125f, 0.7f}, {0.001f, 0.999f, 0.333333f}};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) EXPECT_EQ(image.at<float>(y, x), want[y][x]) << x << "," << y;
}

TEST(ImageIo, RgbAndRgbaPngKeepChannelOrder) {
  TempDir dir;
  cv::Mat bgr(2, 2, CV_8UC3, cv::Scalar(11, 222, 33));
  bgr.at<cv::Vec3b>(1, 1) = cv::Vec3b(1, 2, 3);
  test::write_image(dir.file("rgb.png"), bgr);
  const cv::Mat rgb_read = read_image(dir.file("rgb.png"));
  ASSERT_EQ(rgb_read.type(), CV_8UC3);
  EXPECT_EQ(rgb_read.at<cv::Vec3b>(0, 0), cv::Vec3b(11, 222, 33));
  EXPECT_EQ(rgb_read.at<cv::Vec3b>(1, 1), cv::Vec3b(1, 2, 3));

  cv::Mat bgra(2, 2, CV_8UC4, cv::Scalar(5, 6, 7, 128));
  test::write_image(dir.file("rgba.png"), bgra);
  const cv::Mat rgba_read = read_image(dir.file("rgba.png"));
  ASSERT_EQ(rgba_read.type(), CV_8UC4);
  EXPECT_EQ(rgba_read.at<cv::Vec4b>(1, 0), cv::Vec4b(5, 6, 7, 128));
}

TEST(ImageIo, BmpIsExactAndJpegIsClose) {
  TempDir dir;
  cv::Mat gray = test::gradient8(8, 8);
  test::write_image(dir.file("a.bmp"), gray);
  const cv::Mat bmp = read_image(dir.file("a.bmp"));
  ASSERT_EQ(bmp.size(), gray.size());
  ASSERT_EQ(bmp.depth(), CV_8U);
  cv::Mat bmp_gray = bmp;
  if (bmp.channels() == 3) cv::extractChannel(bmp, bmp_gray, 0);
  EXPECT_EQ(cv::norm(bmp_gray, gray, cv::NORM_INF), 0.0);

  cv::Mat flat(16, 16, CV_8U, cv::Scalar(100));
  test::write_image(dir.file("a.jpg"), flat);
  const cv::Mat jpg = read_image(dir.file("a.jpg"));
  ASSERT_EQ(jpg.size(), flat.size());
  cv::Mat jpg_gray = jpg;
  if (jpg.channels() == 3) cv::extractChannel(jpg, jpg_gray, 0);
  EXPECT_LE(cv::norm(jpg_gray, flat, cv::NORM_INF), 2.0);  // lossy, but a flat block survives
}

TEST(ImageIo, MissingFileIsAnErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("nowhere/cell_17.png");
  const std::string message = error_of([&] { read_image(path); });
  EXPECT_NE(message.find("cell_17.png"), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST(ImageIo, ZeroByteFileIsAnErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("empty_cell.png");
  test::write_text(path, "");
  const std::string message = error_of([&] { read_image(path); });
  EXPECT_NE(message.find("empty_cell.png"), std::string::npos) << message;
  EXPECT_NE(message.find("0 bytes"), std::string::npos) << message;
}

TEST(ImageIo, NotAnImageIsAnErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("notes.png");
  test::write_text(path, "this is a text file, not a PNG\n");
  const std::string message = error_of([&] { read_image(path); });
  EXPECT_NE(message.find("notes.png"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot decode"), std::string::npos) << message;
}

TEST(ImageIo, TruncatedPngIsAnErrorNamingIt) {
  TempDir dir;
  cv::Mat image(32, 32, CV_8U);
  cv::randu(image, 0, 256);  // incompressible, so the data spans many bytes
  std::vector<unsigned char> bytes;
  ASSERT_TRUE(cv::imencode(".png", image, bytes));
  const std::string path = dir.file("cut.png");
  test::write_text(path, std::string(bytes.begin(), bytes.begin() + long(bytes.size() / 2)));
  const std::string message = error_of([&] { read_image(path); });
  EXPECT_NE(message.find("cut.png"), std::string::npos) << message;
}

TEST(ImageIo, MaskIsNonZeroOfAnyChannel) {
  TempDir dir;
  cv::Mat mask(2, 3, CV_8UC3, cv::Scalar(0, 0, 0));
  mask.at<cv::Vec3b>(0, 1) = cv::Vec3b(0, 0, 255);  // red only
  mask.at<cv::Vec3b>(1, 2) = cv::Vec3b(1, 0, 0);    // a faint blue
  test::write_image(dir.file("m.png"), mask);
  const cv::Mat read = read_mask(dir.file("m.png"), cv::Size(3, 2), "img.png");
  ASSERT_EQ(read.type(), CV_8UC1);
  const int want[2][3] = {{0, 1, 0}, {0, 0, 1}};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) EXPECT_EQ(read.at<unsigned char>(y, x), want[y][x]) << x << "," << y;
}

TEST(ImageIo, MaskOfAnotherSizeIsAnErrorNamingBothFiles) {
  TempDir dir;
  test::write_image(dir.file("small_mask.png"), cv::Mat(4, 5, CV_8U, cv::Scalar(255)));
  const std::string message =
      error_of([&] { read_mask(dir.file("small_mask.png"), cv::Size(6, 4), "the_cell.png"); });
  EXPECT_NE(message.find("small_mask.png"), std::string::npos) << message;
  EXPECT_NE(message.find("the_cell.png"), std::string::npos) << message;
  EXPECT_NE(message.find("5x4"), std::string::npos) << message;
  EXPECT_NE(message.find("6x4"), std::string::npos) << message;
}

TEST(ImageIo, EmptyOrMissingMaskIsAnError) {
  TempDir dir;
  test::write_image(dir.file("zero_mask.png"), cv::Mat(4, 4, CV_8U, cv::Scalar(0)));
  std::string message = error_of([&] { read_mask(dir.file("zero_mask.png"), cv::Size(4, 4), "c.png"); });
  EXPECT_NE(message.find("zero_mask.png"), std::string::npos) << message;
  message = error_of([&] { read_mask(dir.file("gone_mask.png"), cv::Size(4, 4), "c.png"); });
  EXPECT_NE(message.find("gone_mask.png"), std::string::npos) << message;
}

TEST(ImageIo, WritePngRoundTripsSixteenBit) {
  TempDir dir;
  cv::Mat image(3, 4, CV_16U);
  for (int i = 0; i < 12; ++i) image.at<uint16_t>(i / 4, i % 4) = static_cast<uint16_t>(i * 5000 + 7);
  write_png(dir.file("out/w.png"), image);
  const cv::Mat back = read_image(dir.file("out/w.png"));
  ASSERT_EQ(back.type(), CV_16UC1);
  EXPECT_EQ(cv::norm(back, image, cv::NORM_INF), 0.0);
}

TEST(ImageIo, FullScaleOfEachDepth) {
  EXPECT_EQ(full_scale(CV_8U), 255.0);
  EXPECT_EQ(full_scale(CV_16U), 65535.0);
  EXPECT_EQ(full_scale(CV_32F), 1.0);
}

}  // namespace
}  // namespace hep2
