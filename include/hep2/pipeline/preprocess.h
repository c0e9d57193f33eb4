// Turning one decoded cell image (any depth, gray or colour) and its optional mask into the
// network's input: one channel, masked, intensity-normalised (cells differ ten-fold in
// brightness), resized to HxW keeping the aspect ratio, centred, zero-padded, in [0, 1].
// The options are plain data so that dataset.h stays free of OpenCV; cv::Mat is only
// forward-declared here.
#pragma once
#include <string>

#include "hep2/pipeline/photometric.h"

namespace cv {
class Mat;
}

namespace hep2 {

// None: divide by the stored type's full scale (255, 65535; float as is), clamp.
// MinMax: stretch [min, max] of the (masked) cell to [0, 1].
// Percentile: stretch [p1, p99] of the (masked) cell to [0, 1] and clamp; robust to hot pixels.
enum class Normalization { None, MinMax, Percentile };
// Auto: gray images as they are; colour images: the channel with the highest mean (ICPR2012 is
// green). Gray: luminance 0.299 R + 0.587 G + 0.114 B. Red/Green/Blue: that channel (a gray
// image has only one, which is used). Alpha is ignored.
enum class Channel { Auto, Gray, Red, Green, Blue };

struct PreprocessOptions {
  int height = 64, width = 64;
  bool use_mask = true;  // zero outside the mask and take the statistics inside it
  Normalization norm = Normalization::Percentile;
  Channel channel = Channel::Auto;
  Photometric photometric;  // after normalisation, before the resize (feature augmentation)
};

// Names for the command line and reports: "none", "minmax", "percentile"; "auto", "gray",
// "red", "green", "blue". parse_* accept any case and throw Error listing the valid names.
std::string to_string(Normalization norm);
std::string to_string(Channel channel);
Normalization parse_normalization(const std::string& name);
Channel parse_channel(const std::string& name);

// Writes options.height * options.width floats in [0, 1] to `out`. `mask` is empty or a CV_8U
// matrix of image's size whose non-zero pixels are the cell; it is used when options.use_mask.
// Steps: channel -> float intensity; statistics over the mask (or the whole image) ->
// normalise -> zero outside the mask -> the photometric change -> aspect-preserving resize (INTER_AREA when shrinking,
// INTER_LINEAR when growing), centred on a zero canvas. `source` names the image in errors.
// A flat cell (no contrast to stretch) becomes all zero.
void preprocess_cell(const cv::Mat& image, const cv::Mat& mask, const PreprocessOptions& options,
                     float* out, const std::string& source);

// The size (width, height) an image of in_w x in_h takes inside an out_w x out_h canvas when
// its longest side fits: each side round(side * scale), at least 1.
void fitted_size(int in_w, int in_h, int out_w, int out_h, int& fit_w, int& fit_h);

}  // namespace hep2
