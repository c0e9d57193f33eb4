// Decoding cell images and masks with OpenCV, and encoding PNGs, with errors that name the file.
#include "hep2/io/image_io.h"

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
  // IMREAD_UNCHANGED keeps 16-bit and float depths and the alpha channel; colour stays BGR.
  cv::Mat image;
  try {
    image = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    // imread throws (rather than returning empty) e.g. when a corrupt header claims a size over
    // OpenCV's limits; found by fuzzing (tests/fuzz/fuzz_image.cpp).
    fail("cannot decode ", what, " '", path, "': OpenCV refused it (", e.err, "); the file is corrupt ",
         "or not an image it can read (supported: PNG, TIFF, BMP, JPEG); re-export or remove it");
  }
  if (image.empty())
    fail("cannot decode ", what, " '", path, "': it is not an image OpenCV can read, or it is ",
         "corrupt or truncated (supported: PNG, TIFF, BMP, JPEG); re-export or remove it");
  if (image.dims != 2)
    fail(what, " '", path, "' has ", image.dims, " dimensions: expected a 2-D image");
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
