// Input-vs-reconstruction grid PNG (see include/hep2/report/image_grid.h).
#include "hep2/report/image_grid.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>

#include "hep2/core/error.h"
#include "hep2/report/draw.h"

namespace hep2 {

namespace {

unsigned char to_byte(float v) {
  if (!(v > 0)) return 0;  // also NaN
  if (v >= 1) return 255;
  return static_cast<unsigned char>(std::lround(v * 255.0f));
}

void paint_tile(cv::Mat& img, const float* src, int h, int w, int scale, int x0, int y0) {
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const unsigned char v = to_byte(src[static_cast<size_t>(y) * w + x]);
      for (int dy = 0; dy < scale; ++dy) {
        unsigned char* row = img.ptr<unsigned char>(y0 + y * scale + dy) + x0 + x * scale;
        std::fill(row, row + scale, v);
      }
    }
}

}  // namespace

void write_image_grid_png(const std::string& path, const float* top, const float* bottom, int count,
                          int h, int w, int scale) {
  if (top == nullptr || bottom == nullptr)
    fail("cannot write ", path, ": no image data (null input or reconstruction pointer)");
  if (count < 1 || h < 1 || w < 1 || scale < 1)
    fail("cannot write ", path, ": count ", count, ", size ", h, "x", w, ", scale ", scale,
         " (all must be at least 1)");
  const int64_t tile_w = int64_t{w} * scale, tile_h = int64_t{h} * scale;
  const int pairs = (count + kGridColumns - 1) / kGridColumns;
  const int columns = (count + pairs - 1) / pairs;
  const int64_t width = columns * tile_w + (columns - 1) * kGridGap;
  const int64_t height = pairs * (2 * tile_h + kGridGap) + (pairs - 1) * kGridPairGap;
  constexpr int64_t kMaxSide = 16384;
  if (width > kMaxSide || height > kMaxSide)
    fail("cannot write ", path, ": the grid would be ", width, "x", height, " pixels (at most ",
         kMaxSide, " a side: show fewer images or a smaller scale)");

  cv::Mat img(static_cast<int>(height), static_cast<int>(width), CV_8UC1,
              cv::Scalar(kGridGapValue));
  const size_t image_size = static_cast<size_t>(h) * w;
  for (int i = 0; i < count; ++i) {
    const int col = i % columns, pair = i / columns;
    const int x0 = static_cast<int>(col * (tile_w + kGridGap));
    const int y0 = static_cast<int>(pair * (2 * tile_h + kGridGap + kGridPairGap));
    paint_tile(img, top + i * image_size, h, w, scale, x0, y0);
    paint_tile(img, bottom + i * image_size, h, w, scale, x0,
               static_cast<int>(y0 + tile_h + kGridGap));
  }
  draw::write_png(path, img);
}

}  // namespace hep2
