// Decoding cell images and masks from disk, and encoding PNGs for writing. Every failure names
// the file, says what is wrong and what to do, so a bad file among ten thousand is easy to find.
// Layers 4-5 only: this header brings in OpenCV.
#pragma once
#include <string>

#include <opencv2/core.hpp>

#include "hep2/io/image_header.h"

namespace hep2 {

// Reads an image as stored: depth (8/16-bit, float) and channels (BGR/BGRA order for colour)
// are kept; palette PNGs come back as 3-channel BGR. Any integer or 64-bit float depth is
// returned as stored too; callers convert with full_scale() in mind.
// Throws when the file is missing, empty (0 bytes), in a format other than PNG, JPEG, TIFF, BMP
// and PBM/PGM/PPM, claims more than kMaxImageSide / kMaxImagePixels in its header, or cannot be
// decoded (not an image, corrupt, truncated).
cv::Mat read_image(const std::string& path);

// Reads a cell mask: any non-zero pixel (in any channel) is the cell. Returns CV_8U with values
// 0 and 1. Throws when the mask cannot be read, when its size differs from `image_size` (the
// size of the image it belongs to, named by `image_path` in the message), or when it holds no
// cell pixel at all. The format and size limits of read_image apply.
cv::Mat read_mask(const std::string& path, cv::Size image_size, const std::string& image_path);

// The value that means "full brightness" for a stored depth: 255 for 8-bit, 65535 for 16-bit,
// 1 for floating point (assumed to be in [0, 1]).
double full_scale(int depth);

// PNG bytes of an 8- or 16-bit, 1-, 3- or 4-channel image (lossless).
std::string encode_png(const cv::Mat& image);
// encode_png + write_file_atomic: a crash never leaves a half-written PNG behind.
void write_png(const std::string& path, const cv::Mat& image);

}  // namespace hep2
