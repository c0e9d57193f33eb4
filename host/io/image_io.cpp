// Decoding cell images and masks with OpenCV, and encoding PNGs, with errors that name the file.
#include "hep2/io/image_io.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"

namespace hep2 {

namespace {

namespace fs = std::filesystem;

std::string size_text(cv::Size s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

// The share of an over-size message that says what the limits are and what to do.
std::string size_refusal(int64_t width, int64_t height) {
  char mpix[32];
  std::snprintf(mpix, sizeof mpix, "%.1f", double(width) * double(height) / 1e6);
  return std::to_string(width) + "x" + std::to_string(height) + " pixels (" + mpix +
         " Mpixel), more than hep2 reads for a cell image (at most " + std::to_string(kMaxImageSide) +
         " pixels a side and " + std::to_string(kMaxImagePixels) + " pixels, 2048x2048): the file is " +
         "corrupt, or holds more than one cell; re-export or remove it (a field or slide image must " +
         "first be cut into one image per cell)";
}

bool within_limits(int64_t width, int64_t height) {
  return width <= kMaxImageSide && height <= kMaxImageSide && width * height <= kMaxImagePixels;
}

// The checks imread cannot tell apart (it returns an empty matrix for all of them).
void require_readable_file(const std::string& path, const char* what) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    fail(what, " '", path, "' does not exist: check the path (relative paths in a manifest are ",
         "resolved against the manifest's folder)");
  if (!fs::is_regular_file(status))
    fail(what, " '", path, "' is not a regular file (a folder?): point at an image file");
  const auto bytes = fs::file_size(path, ec);
  if (ec) fail("cannot read ", what, " '", path, "': ", ec.message());
  if (bytes == 0)
    fail(what, " '", path, "' is empty (0 bytes): the copy or export was interrupted; ",
         "copy the file again");
}

cv::Mat decode(const std::string& path, const char* what) {
  require_readable_file(path, what);
  const std::string bytes = read_file(path);
  if (bytes.empty())
    fail(what, " '", path, "' is empty (0 bytes): the copy or export was interrupted; copy the file again");
  if (bytes.size() > size_t(INT_MAX))
    fail("cannot decode ", what, " '", path, "': it is ", bytes.size(), " bytes, more than any image ",
         "of at most ", kMaxImagePixels, " pixels needs; re-export or remove it");
  // Refused before decoding: what hep2 cannot size, and what claims too many pixels.
  const ImageHeader header = read_image_header(bytes);
  if (header.format.empty())
    fail("cannot decode ", what, " '", path, "': it is not an image hep2 can read, or it is corrupt ",
         "or truncated (supported: PNG, TIFF, BMP, JPEG, PBM/PGM/PPM); re-export or remove it");
  if (!header.sized)
    fail("cannot decode ", what, " '", path, "': its ", header.format, " header is corrupt or ",
         "truncated (it gives no usable image size); re-export or remove it");
  if (!within_limits(header.width, header.height))
    fail("cannot decode ", what, " '", path, "': its ", header.format, " header claims ",
         size_refusal(header.width, header.height));
  // IMREAD_UNCHANGED keeps 16-bit and float depths and the alpha channel; colour stays BGR.
  // imdecode of the bytes checked above, not imread of the path: what is decoded is what was sized.
  cv::Mat image;
  try {
    const cv::Mat buffer(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    image = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    // imdecode throws (rather than returning empty) e.g. when a corrupt header claims a size over
    // OpenCV's limits; found by fuzzing (tests/fuzz/fuzz_image.cpp).
    fail("cannot decode ", what, " '", path, "': OpenCV refused it (", e.err, "); the file is corrupt ",
         "or not an image it can read (supported: PNG, TIFF, BMP, JPEG); re-export or remove it");
  }
  if (image.empty())
    fail("cannot decode ", what, " '", path, "': it is not an image OpenCV can read, or it is ",
         "corrupt or truncated (supported: PNG, TIFF, BMP, JPEG); re-export or remove it");
  if (image.dims != 2)
    fail(what, " '", path, "' has ", image.dims, " dimensions: expected a 2-D image");
  // The decoded size as well, should a decoder ever read a size other than the header's.
  if (!within_limits(image.cols, image.rows))
    fail("cannot decode ", what, " '", path, "': it decodes to ", size_refusal(image.cols, image.rows));
  return image;
}

}  // namespace

cv::Mat read_image(const std::string& path) {
  cv::Mat image = decode(path, "image");
  const int ch = image.channels();
  if (ch < 1 || ch > 4)
    fail("image '", path, "' has ", ch, " channels: expected gray, gray+alpha, RGB or RGBA");
  return image;
}

cv::Mat read_mask(const std::string& path, cv::Size image_size, const std::string& image_path) {
  cv::Mat raw = decode(path, "mask");
  if (raw.size() != image_size)
    fail("mask '", path, "' is ", size_text(raw.size()), " pixels but its image '", image_path,
         "' is ", size_text(image_size), ": a mask must have its image's size; regenerate the mask");
  std::vector<cv::Mat> planes;
  cv::split(raw, planes);
  cv::Mat any = planes[0] != 0;
  for (size_t c = 1; c < planes.size(); ++c) any |= (planes[c] != 0);
  if (cv::countNonZero(any) == 0)
    fail("mask '", path, "' (of image '", image_path, "') has no cell pixel (all zero): fix the ",
         "mask, or remove the mask column/folder to use whole images");
  cv::Mat mask;
  any.convertTo(mask, CV_8U, 1.0 / 255.0);  // comparisons give 0/255
  return mask;
}

double full_scale(int depth) {
  switch (depth) {
    case CV_8U: return 255.0;
    case CV_8S: return 127.0;
    case CV_16U: return 65535.0;
    case CV_16S: return 32767.0;
    case CV_32S: return 2147483647.0;
    default: return 1.0;  // CV_32F, CV_64F (and CV_16F): assumed to be in [0, 1]
  }
}

std::string encode_png(const cv::Mat& image) {
  HEP2_CHECK(!image.empty(), "encode_png of an empty image");
  HEP2_CHECK(image.depth() == CV_8U || image.depth() == CV_16U, "PNG needs 8- or 16-bit data, got depth ",
             image.depth());
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".png", image, bytes)) fail("OpenCV could not encode a ", size_text(image.size()), " PNG");
  return std::string(bytes.begin(), bytes.end());
}

void write_png(const std::string& path, const cv::Mat& image) { write_file_atomic(path, encode_png(image)); }

}  // namespace hep2
