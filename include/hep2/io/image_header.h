// What an image file's header says (format, claimed size), read without decoding, and the largest
// image hep2 decodes. No OpenCV here: the parsers stand alone.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace hep2 {

// The largest image read_image and read_mask decode. A cell image is a crop around one cell (the
// I3A and ICPR2012 cells are 50-110 pixels a side) that preprocessing shrinks to --size; 4 Mpixel
// (2048 x 2048) is some 400 times the largest real cell and still takes a whole microscope camera
// frame. A header claiming more is refused before anything is decoded: decoding is what costs
// (a 344-byte JPEG claiming 18761 x 8200 pixels took 3.4 s and 1.5 GB to decode and preprocess,
// 170 s under the fuzzer's sanitizers, which need ~0.9 s per Mpixel: see docs/reliability.md).
inline constexpr int64_t kMaxImageSide = 16384;
inline constexpr int64_t kMaxImagePixels = int64_t(1) << 22;

// What an image file's header says, read without decoding it.
struct ImageHeader {
  std::string format;  // "PNG", "JPEG", "TIFF", "BMP" or "PNM" (PBM/PGM/PPM); empty: none of them
  bool sized = false;  // the header was whole and well-formed enough to give the size
  int64_t width = 0, height = 0;  // as claimed (not checked against the data that follows)
};
// The format and claimed size of the image in `bytes`: the formats read_image accepts are exactly
// the ones recognised here.
ImageHeader read_image_header(std::string_view bytes);

}  // namespace hep2
