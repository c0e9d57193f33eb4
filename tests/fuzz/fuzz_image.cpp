// libFuzzer target: the image-loading path of every cell, read_image (OpenCV decode of PNG, TIFF,
// BMP, JPEG, whatever the bytes are) -> read_mask -> preprocess_cell, as load_dataset runs it.
// The bytes are tried as an image with no mask, and as an image that is its own mask, through each
// normalisation and channel choice. Any input must be accepted or refused with hep2::Error (an
// OpenCV exception escaping is a finding); every accepted cell must come out finite and in [0, 1].
// OpenCV's own code is not instrumented for coverage: the fuzzer's guidance comes from hep2's code.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "fuzz_file.h"
#include "hep2/core/error.h"
#include "hep2/io/image_io.h"
#include "hep2/pipeline/preprocess.h"

namespace {

constexpr int kSide = 16;

void check_cell(const std::vector<float>& out) {
  for (float v : out)
    if (!(v >= 0.f && v <= 1.f)) std::abort();  // also catches NaN
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hep2::fuzz::ScratchDir dir("hep2_fuzz_image");
  static const hep2::fuzz::FuzzFile input(dir / "cell.img");
  static const bool quiet = [] {
    // OpenCV logs every undecodable file; the fuzzer's own output is what matters.
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    return true;
  }();
  (void)quiet;
  input.write(data, size);

  cv::Mat image;
  try {
    image = hep2::read_image(input.path());
  } catch (const hep2::Error&) {
    return 0;
  }
  cv::Mat mask;
  try {
    mask = hep2::read_mask(input.path(), image.size(), input.path());
    if (mask.type() != CV_8U || mask.size() != image.size()) std::abort();
  } catch (const hep2::Error&) {
    mask.release();
  }

  const struct {
    hep2::Normalization norm;
    hep2::Channel channel;
  } choices[] = {{hep2::Normalization::Percentile, hep2::Channel::Auto},
                 {hep2::Normalization::MinMax, hep2::Channel::Gray},
                 {hep2::Normalization::None, hep2::Channel::Red}};
  std::vector<float> out(size_t(kSide) * kSide);
  for (const auto& c : choices) {
    for (bool use_mask : {false, true}) {
      if (use_mask && mask.empty()) continue;
      hep2::PreprocessOptions o;
      o.height = o.width = kSide;
      o.norm = c.norm;
      o.channel = c.channel;
      o.use_mask = use_mask;
      try {
        hep2::preprocess_cell(image, use_mask ? mask : cv::Mat(), o, out.data(), input.path());
        check_cell(out);
      } catch (const hep2::Error&) {
      }
    }
  }
  return 0;
}
