// ImageIo: decoding every stored form a cell image comes in (8/16-bit, float, gray, gray+alpha,
// RGB, RGBA, palette; PNG, TIFF, BMP, JPEG, PGM/PPM) and the errors for files that cannot be used,
// among them headers that claim more pixels than a cell image has (read before decoding).
// The palette, gray+alpha, 16-bit and float fixtures below were encoded by Pillow, not OpenCV,
// so decoding is checked against an independent encoder; the expected pixel values are the
// ones given to Pillow.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

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

// ---- header sizes and their limits ---------------------------------------------------------------

// Integers as header bytes, for files built by hand (wider than 8 bytes: zero-extended).
char byte_of(uint64_t v, int i) { return i < 8 ? char((v >> (8 * i)) & 0xff) : '\0'; }
std::string le(uint64_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s += byte_of(v, i);
  return s;
}
std::string be(uint64_t v, int bytes) {
  std::string s;
  for (int i = bytes - 1; i >= 0; --i) s += byte_of(v, i);
  return s;
}

std::string encoded(const std::string& ext, const cv::Mat& image, const std::vector<int>& params = {}) {
  std::vector<unsigned char> bytes;
  if (!cv::imencode(ext, image, bytes, params)) throw std::runtime_error("test fixture: cannot encode " + ext);
  return std::string(bytes.begin(), bytes.end());
}

cv::Mat decoded(const std::string& bytes) {
  return cv::imdecode(cv::Mat(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data())), cv::IMREAD_UNCHANGED);
}

// A real baseline JPEG whose frame header (SOF0) is made to claim width x height: libjpeg decodes
// it, filling the pixels the file does not hold (the fuzzer's find was such a file, 344 bytes).
std::string jpeg_claiming(int width, int height) {
  std::string jpg = encoded(".jpg", test::gradient8(16, 16));
  const size_t sof = jpg.find("\xff\xc0");
  if (sof == std::string::npos) throw std::runtime_error("test fixture: no SOF0 in the JPEG");
  jpg.replace(sof + 5, 2, be(uint64_t(height), 2));
  jpg.replace(sof + 7, 2, be(uint64_t(width), 2));
  return jpg;
}

// Hand-built headers of each format read_image sizes, claiming width x height. The pixel data is
// missing or short: the files are refused before any decoder could notice.
std::string png_claiming(uint64_t width, uint64_t height) {
  return std::string("\x89PNG\r\n\x1a\n") + be(13, 4) + "IHDR" + be(width, 4) + be(height, 4) +
         std::string("\x08\x00\x00\x00\x00", 5) + be(0, 4) + std::string(64, '\0');
}
std::string bmp_claiming(int64_t width, int64_t height) {  // BITMAPINFOHEADER, 24-bit
  return "BM" + le(54 + 64, 4) + le(0, 4) + le(54, 4) + le(40, 4) + le(uint64_t(width), 4) +
         le(uint64_t(height), 4) + le(1, 2) + le(24, 2) + std::string(24, '\0') + std::string(64, '\x7f');
}
std::string os2_bmp_claiming(uint64_t width, uint64_t height) {  // 12-byte core header, 24-bit
  return "BM" + le(26 + 64, 4) + le(0, 4) + le(26, 4) + le(12, 4) + le(width, 2) + le(height, 2) +
         le(1, 2) + le(24, 2) + std::string(64, '\x7f');
}
// Classic TIFF in either byte order, or BigTIFF (little-endian): 8-bit gray, one strip.
std::string tiff_claiming(uint64_t width, uint64_t height, bool big_endian, bool big_tiff = false) {
  auto num = [&](uint64_t v, int bytes) { return big_endian ? be(v, bytes) : le(v, bytes); };
  const int count_bytes = big_tiff ? 8 : 4, value_bytes = big_tiff ? 8 : 4;
  std::string t = big_endian ? "MM" : "II";
  t += num(big_tiff ? 43 : 42, 2);
  if (big_tiff) t += num(8, 2) + num(0, 2) + num(16, 8);
  else t += num(8, 4);
  const int entries = 8;
  const uint64_t data = t.size() + (big_tiff ? 8 : 2) + uint64_t(entries) * (big_tiff ? 20 : 12) + value_bytes;
  t += num(entries, big_tiff ? 8 : 2);
  auto entry = [&](uint64_t tag, uint64_t type, uint64_t value) {
    t += num(tag, 2) + num(type, 2) + num(1, count_bytes);
    const int size = type == 3 ? 2 : type == 4 ? 4 : 8;
    t += num(value, size) + std::string(size_t(value_bytes - size), '\0');  // left-justified
  };
  entry(256, 4, width);
  entry(257, 4, height);
  entry(258, 3, 8);                             // bits per sample
  entry(259, 3, 1);                             // no compression
  entry(262, 3, 1);                             // black is zero
  entry(273, big_tiff ? 16 : 4, data);          // strip offset
  entry(278, 4, height);                        // rows per strip
  entry(279, big_tiff ? 16 : 4, width * height);  // strip bytes
  t += num(0, value_bytes);                     // no next directory
  return t + std::string(64, '\x40');
}
std::string pgm_claiming(uint64_t width, uint64_t height) {
  return "P5\n# a comment\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n" +
         std::string(64, '\x40');
}

struct Claim {
  const char* what;
  std::string bytes;
};

// The fuzzer's find: a JPEG that claims 18761 x 8200 pixels (154 Mpixel) in 344 bytes took 3.4 s
// and 1.5 GB to decode and preprocess (170 s under the fuzzer). Its header is read first now.
TEST(ImageIo, HeaderClaimingTooManyPixelsIsRefusedBeforeDecoding) {
  TempDir dir;
  // OpenCV alone decodes such a file to the full claimed size: the refusal below is hep2's.
  const cv::Mat bomb = decoded(jpeg_claiming(4096, 4096));
  ASSERT_EQ(bomb.size(), cv::Size(4096, 4096));

  for (const auto& [w, h] : {std::pair{18761, 8200}, std::pair{4096, 4096}}) {
    const std::string size = std::to_string(w) + "x" + std::to_string(h);
    SCOPED_TRACE(size);
    const std::string path = dir.file("bomb_" + size + ".jpg");
    test::write_text(path, jpeg_claiming(w, h));
    const auto t0 = std::chrono::steady_clock::now();
    std::string message = error_of([&] { read_image(path); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // "header claims": refused from the header, not after decoding (the decoded size is checked
    // too, as "decodes to").
    for (const std::string& part : {path, "JPEG header claims " + size + " pixels", std::string("at most 16384 pixels a side and 4194304 pixels"),
                                   std::string("re-export or remove it")})
      EXPECT_NE(message.find(part), std::string::npos) << "missing '" << part << "' in: " << message;
    EXPECT_LT(seconds, 0.5) << "refused, but only after " << seconds << " s";
    // A mask is read the same way.
    message = error_of([&] { read_mask(path, cv::Size(w, h), "cell.png"); });
    EXPECT_NE(message.find("cannot decode mask '" + path + "': its JPEG header claims " + size), std::string::npos)
        << message;
  }
}

// Every format read_image accepts has its header checked: a claim just over the pixel limit
// (2049 x 2048) or the side limit (16385 x 1) is refused, naming the format and the claim.
TEST(ImageIo, EachFormatsClaimIsCheckedAgainstTheLimits) {
  TempDir dir;
  for (const auto& [w, h] : {std::pair<uint64_t, uint64_t>{2049, 2048}, {16385, 1}, {1, 16385}}) {
    const std::string size = std::to_string(w) + "x" + std::to_string(h);
    const Claim claims[] = {
        {"PNG", png_claiming(w, h)},
        {"JPEG", jpeg_claiming(int(w), int(h))},
        {"BMP", bmp_claiming(int64_t(w), int64_t(h))},
        {"BMP", bmp_claiming(int64_t(w), -int64_t(h))},  // top-down rows
        {"BMP", os2_bmp_claiming(w, h)},
        {"TIFF", tiff_claiming(w, h, false)},
        {"TIFF", tiff_claiming(w, h, true)},
        {"TIFF", tiff_claiming(w, h, false, true)},
        {"PNM", pgm_claiming(w, h)},
    };
    for (const Claim& c : claims) {
      SCOPED_TRACE(std::string(c.what) + " " + size);
      const std::string path = dir.file(std::string("claim.") + c.what);
      test::write_text(path, c.bytes);
      const ImageHeader header = read_image_header(c.bytes);
      EXPECT_EQ(header.format, c.what);
      EXPECT_TRUE(header.sized);
      EXPECT_EQ(header.width, int64_t(w));
      EXPECT_EQ(header.height, int64_t(h));
      const std::string message = error_of([&] { read_image(path); });
      const std::string want = std::string("its ") + c.what + " header claims " + size + " pixels";
      EXPECT_NE(message.find(want), std::string::npos) << message;
    }
  }
}

// At the limits exactly, images are read: 2048 x 2048 and 16384 x 1 pixels.
TEST(ImageIo, ImagesAtTheLimitsAreRead) {
  TempDir dir;
  for (const cv::Size size : {cv::Size(2048, 2048), cv::Size(16384, 1), cv::Size(1, 16384)}) {
    cv::Mat image(size, CV_8U, cv::Scalar(9));
    image.at<unsigned char>(0, 0) = 200;
    for (const char* ext : {".png", ".jpg", ".tif"}) {
      SCOPED_TRACE(std::string(ext) + " " + std::to_string(size.width) + "x" + std::to_string(size.height));
      const std::string path = dir.file(std::string("limit") + ext);
      test::write_image(path, image);
      EXPECT_EQ(read_image(path).size(), size);
    }
  }
}

// The size read from the header is the size OpenCV decodes, for the encoders at hand (OpenCV's
// and Pillow's) and hand-built variants (big-endian TIFF, BigTIFF, top-down and OS/2 BMP).
TEST(ImageIo, HeaderSizeIsTheDecodedSize) {
  cv::Mat gray8 = test::gradient8(7, 5), gray16, gray32f, bgr(5, 7, CV_8UC3), bgra(5, 7, CV_8UC4);
  gray8.convertTo(gray16, CV_16U, 200.0);
  gray8.convertTo(gray32f, CV_32F, 1.0 / 255.0);
  cv::randu(bgr, 0, 256);
  cv::randu(bgra, 0, 256);
  // A JPEG with a comment segment and stray bytes before its frame header (libjpeg skips them).
  std::string odd_jpeg = encoded(".jpg", gray8);
  odd_jpeg.insert(odd_jpeg.find("\xff\xc0"), std::string("\xff\xfe\x00\x06note", 8) + "junk");
  std::string top_down = encoded(".bmp", bgr);
  top_down.replace(22, 4, le(uint64_t(uint32_t(-5)), 4));
  const Claim files[] = {
      {"PNG", encoded(".png", gray8)},
      {"PNG", encoded(".png", gray16)},
      {"PNG", encoded(".png", bgr)},
      {"PNG", encoded(".png", bgra)},
      {"PNG", bytes_of(kPalettePng)},
      {"PNG", bytes_of(kGrayAlphaPng)},
      {"PNG", bytes_of(kGray16Png)},
      {"JPEG", encoded(".jpg", gray8)},
      {"JPEG", encoded(".jpg", bgr)},
      {"JPEG", encoded(".jpg", bgr, {cv::IMWRITE_JPEG_PROGRESSIVE, 1})},
      {"JPEG", encoded(".jpg", bgr, {cv::IMWRITE_JPEG_RST_INTERVAL, 1})},
      {"JPEG", odd_jpeg},
      {"BMP", encoded(".bmp", gray8)},
      {"BMP", encoded(".bmp", bgr)},
      {"BMP", encoded(".bmp", bgra)},
      {"BMP", top_down},
      {"BMP", os2_bmp_claiming(7, 5) + std::string(200, '\x10')},
      {"TIFF", encoded(".tif", gray8)},
      {"TIFF", encoded(".tif", gray16)},
      {"TIFF", encoded(".tif", gray32f)},
      {"TIFF", encoded(".tif", bgr, {cv::IMWRITE_TIFF_COMPRESSION, 5})},  // LZW
      {"TIFF", bytes_of(kGray16Tiff)},
      {"TIFF", bytes_of(kFloatTiff)},
      {"TIFF", tiff_claiming(7, 5, true)},
      {"TIFF", tiff_claiming(7, 5, false, true)},
      {"PNM", encoded(".pgm", gray8)},
      {"PNM", encoded(".pgm", gray16)},
      {"PNM", encoded(".ppm", bgr)},
      {"PNM", encoded(".pgm", gray8, {cv::IMWRITE_PXM_BINARY, 0})},  // ASCII P2
      {"PNM", encoded(".pbm", gray8)},
  };
  int k = 0;
  for (const Claim& f : files) {
    SCOPED_TRACE(std::string(f.what) + " file " + std::to_string(k++));
    const cv::Mat image = decoded(f.bytes);
    ASSERT_FALSE(image.empty()) << "OpenCV cannot decode this fixture";
    const ImageHeader header = read_image_header(f.bytes);
    EXPECT_EQ(header.format, f.what);
    EXPECT_TRUE(header.sized);
    EXPECT_EQ(header.width, image.cols);
    EXPECT_EQ(header.height, image.rows);
  }
}

// Formats OpenCV decodes but whose headers hep2 does not read are refused before decoding, so no
// unchecked size reaches a decoder. (Cell images come as PNG, TIFF, BMP or JPEG.)
TEST(ImageIo, FormatsWithoutAHeaderCheckAreRefused) {
  TempDir dir;
  const cv::Mat bgr(4, 6, CV_8UC3, cv::Scalar(10, 20, 30));
  cv::Mat bgr32f;
  bgr.convertTo(bgr32f, CV_32F, 1.0 / 255.0);
  const Claim others[] = {
      {"webp", encoded(".webp", bgr)},   {"ras", encoded(".ras", bgr)},
      {"pam", encoded(".pam", bgr)},     {"pfm", encoded(".pfm", bgr32f)},
      {"hdr", encoded(".hdr", bgr32f)},
  };
  for (const Claim& c : others) {
    SCOPED_TRACE(c.what);
    ASSERT_EQ(decoded(c.bytes).size(), bgr.size()) << "OpenCV reads this format itself";
    EXPECT_EQ(read_image_header(c.bytes).format, "");
    const std::string path = dir.file(std::string("cell.") + c.what);
    test::write_text(path, c.bytes);
    const std::string message = error_of([&] { read_image(path); });
    EXPECT_NE(message.find("cannot decode image '" + path + "': it is not an image hep2 can read"),
              std::string::npos) << message;
    EXPECT_NE(message.find("supported: PNG, TIFF, BMP, JPEG, PBM/PGM/PPM"), std::string::npos) << message;
  }
}

// A header cut short or malformed before it gives the size is refused as corrupt.
TEST(ImageIo, HeaderWithoutAUsableSizeIsRefusedAsCorrupt) {
  TempDir dir;
  const std::string jpg = encoded(".jpg", test::gradient8(8, 8));
  const std::string png = encoded(".png", test::gradient8(8, 8));
  std::string sos_first = jpg;  // a scan before any frame header
  sos_first.insert(2, std::string("\xff\xda\x00\x02", 4));
  std::string no_height = tiff_claiming(8, 8, false);
  no_height[10 + 12 + 1] = 0x7f;  // ImageLength (257) becomes tag 0x7f01
  const Claim corrupt[] = {
      {"JPEG", jpg.substr(0, jpg.find("\xff\xc0") + 6)},  // cut inside the frame header
      {"JPEG", sos_first},
      {"JPEG", jpeg_claiming(0, 8)},
      {"PNG", png.substr(0, 20)},
      {"PNG", std::string("\x89PNG\r\n\x1a\n", 8) + be(13, 4) + "IDAT" + std::string(13, '\0')},
      {"TIFF", no_height},
      {"TIFF", tiff_claiming(8, 8, false).substr(0, 40)},
      {"BMP", "BM" + le(0, 12) + le(20, 4) + std::string(20, '\0')},  // no such info header size
      {"BMP", bmp_claiming(0, 8)},
      {"PNM", "P5\n8 x\n255\n"},
      {"PNM", "P6\n# a size never given\n"},
  };
  int k = 0;
  for (const Claim& c : corrupt) {
    SCOPED_TRACE(std::string(c.what) + " case " + std::to_string(k));
    const ImageHeader header = read_image_header(c.bytes);
    EXPECT_EQ(header.format, c.what);
    EXPECT_FALSE(header.sized);
    const std::string path = dir.file("corrupt_" + std::to_string(k++));
    test::write_text(path, c.bytes);
    const std::string message = error_of([&] { read_image(path); });
    EXPECT_NE(message.find(std::string("its ") + c.what + " header is corrupt or truncated"), std::string::npos)
        << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
  }
}

TEST(ImageIo, FullScaleOfEachDepth) {
  EXPECT_EQ(full_scale(CV_8U), 255.0);
  EXPECT_EQ(full_scale(CV_16U), 65535.0);
  EXPECT_EQ(full_scale(CV_32F), 1.0);
}

}  // namespace
}  // namespace hep2
