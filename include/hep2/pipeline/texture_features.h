// Texture features of a cell from a trained DCAE's encoder: for every channel of one encoder
// stage's output, the mean, maximum and standard deviation over the image, averaged over the 8
// rotations/flips of the square (cells have no orientation). The latent (the paper's features)
// keeps where things are in the crop; these keep what the texture is, which is what the pattern
// classes differ in (docs/accuracy.md: +4-5 points of mean class accuracy on specimen-disjoint
// I3A cells over the latent).
#pragma once
#include <cstddef>

#include "hep2/nn/trainer.h"
#include "hep2/pipeline/training.h"

namespace hep2 {

// One row of 3 * C values per cell (C: the channels of the layer ending at stage_end - 1): means
// of the C channels, then their maxima, then their standard deviations. stage_end counts layers
// from the input (encoder_stage_end()); the images must be square. views of the result is 1.
DeviceFeatures extract_texture_features(Trainer& ae, size_t stage_end, const DeviceImages& data,
                                        int batch, const ProgressFn& progress = {});

}  // namespace hep2
