// A picture of what the autoencoder does: input cells in one row, their reconstructions in the
// row below, as an 8-bit grayscale PNG.
#pragma once
#include <string>

namespace hep2 {

// Layout, in output pixels. Tiles are h*scale x w*scale with no outer border; the first tile's
// top-left pixel is (0, 0). Tiles in a row are kGridGap apart, an input row and its
// reconstruction row kGridGap apart, and consecutive row pairs kGridPairGap apart. Gaps are
// kGridGapValue grey. At most kGridColumns tiles per row: more images wrap into
// pairs = ceil(count / kGridColumns) row pairs of ceil(count / pairs) columns each (balanced, so
// 20 images make two pairs of 10 rather than 16 and a nearly empty 4), filled row pair by row pair.
constexpr int kGridColumns = 16;
constexpr int kGridGap = 2;
constexpr int kGridPairGap = 8;
constexpr unsigned char kGridGapValue = 96;

// top and bottom each hold `count` images of h x w floats (row-major, one after another).
// Values are clamped to [0, 1] (NaN shown as 0) and mapped to round(v * 255); each pixel is
// repeated scale x scale times (nearest neighbour). Writes atomically; throws Error on null
// pointers, non-positive sizes, or an image larger than 16384 pixels on a side.
void write_image_grid_png(const std::string& path, const float* top, const float* bottom, int count,
                          int h, int w, int scale);

}  // namespace hep2
