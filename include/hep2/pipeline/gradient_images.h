// Gradient-magnitude images for the authors' follow-up ("hybrid" features, Electronics 2019): a
// second DCAE learns from |Sobel gradient| of each preprocessed cell, which stresses texture edges
// (speckles, dots, nucleoli) over smooth intensity.
#pragma once
#include <vector>

#include "hep2/core/shape.h"

namespace hep2 {

// images: shape.count() values in [0,1]; returns the same shape, each image's gradient magnitude
// divided by its own 99th percentile and clamped to [0,1] (so a few edge pixels do not set the scale).
std::vector<float> gradient_magnitude_images(const Shape4& shape, const std::vector<float>& images);

}  // namespace hep2
