// A photometric change of a cell image, for feature augmentation: the classifier also learns
// from its training cells as they would look under another staining strength or focus, so
// that a new specimen's brighter, dimmer or softer texture is not read as another pattern.
// Applied by preprocess_cell after the intensity normalisation, at the image's own resolution
// (before the resize), inside the mask.
#pragma once
#include <string>
#include <vector>

namespace hep2 {

struct Photometric {
  float gamma =
      1.0f;  // each normalised intensity x in [0, 1] becomes x^gamma (> 1: darker mid-tones)
  float blur = 0.0f;  // then a Gaussian blur of this sigma, in pixels of the stored image (0: none)
  bool identity() const { return gamma == 1.0f && blur == 0.0f; }
};

// "gamma2", "blur1", "gamma1.5+blur0.7" (the terms in any order, each once) -> the change;
// throws Error naming the token and the accepted form. gamma must be in (0, 10], blur in
// (0, 20].
Photometric parse_photometric(const std::string& token);
std::vector<Photometric> parse_photometric_list(const std::vector<std::string>& tokens);
// The token parse_photometric reads back ("gamma2+blur1"; "none" for the identity).
std::string to_string(const Photometric& p);

}  // namespace hep2
