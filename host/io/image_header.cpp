// Image file headers read without decoding: the format and the claimed size, so that read_image
// refuses a file claiming too many pixels before anything is decoded (see read_image_header).
#include "hep2/io/image_header.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace hep2 {
namespace {

// Why hep2 reads the size from the header itself: a few hundred bytes can claim a huge image (a
// truncated JPEG claiming 18761 x 8200 pixels decodes to 154 Mpixel of filler, found by
// tests/fuzz/fuzz_image.cpp), and decoding it is the cost. OpenCV has limits of its own
// (OPENCV_IO_MAX_IMAGE_PIXELS, _WIDTH, _HEIGHT; by default 2^30 pixels, 2^20 a side) but in
// OpenCV 4.6 they are read from the environment once, by static initialisers in libopencv_imgcodecs
// that run before main(): a setenv() in hep2 is too late (checked: it has no effect), so they could
// only be set by whoever starts the process, for every OpenCV user in it, and a user's environment
// could raise them again. cv::ImageDecoder, which reads a header alone, is internal. So hep2 parses
// the headers of the formats it accepts and refuses any other format: every byte OpenCV decodes has
// been size-checked first. The parsers err on the side of refusing: a header they cannot follow to
// its size is refused as corrupt, where the decoders would fail too.

// Integers inside `b`, big- or little-endian; `has` says whether [at, at + n) is inside.
class Bytes {
 public:
  explicit Bytes(std::string_view b) : b_(b) {}
  size_t size() const { return b_.size(); }
  bool has(uint64_t at, uint64_t n) const { return at <= b_.size() && n <= b_.size() - at; }
  unsigned operator[](size_t at) const { return static_cast<unsigned char>(b_[at]); }
  // The caller checks has(at, n) first; n <= 8.
  uint64_t get(size_t at, size_t n, bool big_endian) const {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t((*this)[at + i]) << (8 * (big_endian ? n - 1 - i : i));
    return v;
  }
  bool starts_with(std::string_view prefix) const { return b_.substr(0, prefix.size()) == prefix; }

 private:
  std::string_view b_;
};

ImageHeader sized(ImageHeader h, int64_t width, int64_t height) {
  h.width = width;
  h.height = height;
  h.sized = width > 0 && height > 0;  // a zero or negative size is a corrupt header
  return h;
}

// PNG: the 8-byte signature, then the IHDR chunk (libpng requires it first): length, "IHDR",
// width, height, all 32-bit big-endian.
ImageHeader png_header(const Bytes& b, ImageHeader h) {
  if (!b.has(8, 16) || b.get(12, 4, true) != 0x49484452u) return h;  // "IHDR"
  return sized(h, int64_t(b.get(16, 4, true)), int64_t(b.get(20, 4, true)));
}

// JPEG: the markers after SOI up to the first frame header (SOF0-SOF15 but DHT, JPG, DAC), found
// as libjpeg finds them: bytes that are not 0xFF are skipped ("extraneous bytes before marker"),
// 0xFF fill bytes too, FF 00 is no marker; every marker but TEM and RSTn has a 16-bit length.
// A scan, an EOI or a second SOI before any frame header means no size (libjpeg fails too).
ImageHeader jpeg_header(const Bytes& b, ImageHeader h) {
  size_t i = 2;
  for (;;) {
    while (i < b.size() && b[i] != 0xFF) ++i;
    while (i < b.size() && b[i] == 0xFF) ++i;
    if (i >= b.size()) return h;
    const unsigned marker = b[i++];
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD8 || marker == 0xD9 || marker == 0xDA) return h;
    if (!b.has(i, 2)) return h;
    const size_t length = size_t(b.get(i, 2, true));  // counts itself, not the marker
    if (length < 2 || !b.has(i, length)) return h;
    const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      // length, precision (1), height (2), width (2), components...
      if (length < 8) return h;
      return sized(h, int64_t(b.get(i + 5, 2, true)), int64_t(b.get(i + 3, 2, true)));
    }
    i += length;
  }
}

// BMP as OpenCV reads it: the info header's size at offset 14; 12 (OS/2 1.x): 16-bit width and
// height; 36 or more (BITMAPINFOHEADER and its successors): signed 32-bit width and height, a
// negative height meaning top-down rows. Other sizes are not read by OpenCV.
ImageHeader bmp_header(const Bytes& b, ImageHeader h) {
  if (!b.has(14, 4)) return h;
  const uint64_t info = b.get(14, 4, false);
  if (info == 12 && b.has(18, 4)) return sized(h, int64_t(b.get(18, 2, false)), int64_t(b.get(20, 2, false)));
  if (info < 36 || !b.has(18, 8)) return h;
  const int64_t width = int32_t(uint32_t(b.get(18, 4, false)));
  const int64_t height = int32_t(uint32_t(b.get(22, 4, false)));
  return sized(h, width, height < 0 ? -height : height);
}

// TIFF (classic, and BigTIFF): ImageWidth (256) and ImageLength (257) of the first directory,
// the page imread decodes, in any integer type libtiff accepts for them. A tag given twice counts
// with its larger value; a missing tag, a non-integer or negative value, or a directory cut short
// means no size (libtiff refuses those directories too).
ImageHeader tiff_header(const Bytes& b, ImageHeader h) {
  const bool big_endian = b[0] == 'M';
  const uint64_t version = b.get(2, 2, big_endian);
  const bool big_tiff = version == 43;
  uint64_t dir = 0, entries = 0, first = 0;
  size_t entry_size = 12, count_size = 4, value_size = 4;
  if (!big_tiff) {
    if (!b.has(4, 4)) return h;
    dir = b.get(4, 4, big_endian);
    if (!b.has(dir, 2)) return h;
    entries = b.get(dir, 2, big_endian);
    first = dir + 2;
  } else {
    if (!b.has(4, 12) || b.get(4, 2, big_endian) != 8 || b.get(6, 2, big_endian) != 0) return h;
    dir = b.get(8, 8, big_endian);
    if (!b.has(dir, 8)) return h;
    entries = b.get(dir, 8, big_endian);
    first = dir + 8;
    entry_size = 20, count_size = 8, value_size = 8;
  }
  if (entries > b.size() / entry_size || !b.has(first, entries * entry_size)) return h;
  int64_t width = 0, height = 0;
  for (uint64_t k = 0; k < entries; ++k) {
    const size_t e = size_t(first + k * entry_size);
    const uint64_t tag = b.get(e, 2, big_endian);
    if (tag != 256 && tag != 257) continue;
    const uint64_t type = b.get(e + 2, 2, big_endian);
    const uint64_t count = b.get(e + 4, count_size, big_endian);
    size_t bytes = 0;
    bool is_signed = false;
    switch (type) {
      case 1: bytes = 1; break;                      // BYTE
      case 6: bytes = 1, is_signed = true; break;    // SBYTE
      case 3: bytes = 2; break;                      // SHORT
      case 8: bytes = 2, is_signed = true; break;    // SSHORT
      case 4: case 13: bytes = 4; break;             // LONG, IFD
      case 9: bytes = 4, is_signed = true; break;    // SLONG
      case 16: case 18: bytes = 8; break;            // LONG8, IFD8
      case 17: bytes = 8, is_signed = true; break;   // SLONG8
      default: return h;                             // not an integer
    }
    if (count == 0) return h;
    const size_t field = e + 4 + count_size;
    // The value sits in the entry when all `count` values fit there, else at the offset it holds.
    const uint64_t at = count <= value_size / bytes ? field : b.get(field, value_size, big_endian);
    if (!b.has(at, bytes)) return h;
    const uint64_t raw = b.get(size_t(at), bytes, big_endian);
    if (is_signed && (raw >> (8 * bytes - 1)) != 0) return h;  // negative
    const int64_t value = int64_t(std::min<uint64_t>(raw, uint64_t(1) << 62));
    int64_t& slot = tag == 256 ? width : height;
    slot = std::max(slot, value);
  }
  return sized(h, width, height);
}

// PBM/PGM/PPM (P1-P6): width and height are the first two decimal numbers after the magic,
// separated by whitespace and '#' comments that run to the end of their line.
ImageHeader pnm_header(const Bytes& b, ImageHeader h) {
  size_t i = 2;
  int64_t dims[2] = {0, 0};
  for (int64_t& d : dims) {
    for (;;) {
      if (i >= b.size()) return h;
      if (b[i] == '#') {
        while (i < b.size() && b[i] != '\n' && b[i] != '\r') ++i;
      } else if (std::isspace(int(b[i]))) {
        ++i;
      } else {
        break;
      }
    }
    if (!std::isdigit(int(b[i]))) return h;
    for (; i < b.size() && std::isdigit(int(b[i])); ++i)
      d = std::min<int64_t>(d * 10 + int64_t(b[i] - '0'), int64_t(1) << 40);  // saturates: huge
  }
  return sized(h, dims[0], dims[1]);
}

}  // namespace

ImageHeader read_image_header(std::string_view bytes) {
  const Bytes b(bytes);
  // The signatures OpenCV 4.6 picks its decoders by; they differ in their first bytes, so the
  // format recognised here is the one OpenCV decodes the bytes as.
  if (b.starts_with("\x89PNG\r\n\x1a\n")) return png_header(b, {"PNG"});
  if (b.starts_with("\xff\xd8\xff")) return jpeg_header(b, {"JPEG"});
  if (b.starts_with(std::string_view("II\x2a\0", 4)) || b.starts_with(std::string_view("MM\0\x2a", 4)) ||
      b.starts_with(std::string_view("II\x2b\0", 4)) || b.starts_with(std::string_view("MM\0\x2b", 4)))
    return tiff_header(b, {"TIFF"});
  if (b.starts_with("BM")) return bmp_header(b, {"BMP"});
  if (b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' && std::isspace(int(b[2])))
    return pnm_header(b, {"PNM"});
  return {};
}

}  // namespace hep2
