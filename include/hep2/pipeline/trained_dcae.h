// A trained (or loaded) DCAE as one value: the network ready to run, its architecture, and where
// its latent ends, so that reading features needs nothing but this value and the cells.
#pragma once
#include <cstddef>
#include <memory>

#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/method_kinds.h"
#include "hep2/pipeline/training.h"

namespace hep2 {

struct TrainedDcae {
  std::unique_ptr<Trainer> net;
  DcaeConfig config;      // the input size it is built for
  size_t latent_end = 0;  // layers [0, latent_end) are the encoder
};

struct FeatureOptions {
  FeatureKind kind = FeatureKind::Latent;
  int stats_stage = 2;  // FeatureKind::Stats: the encoder stage summarised
  int batch = 64;
  int views = 1;        // FeatureKind::Latent: rotations/flips as extra rows
};

// The features of every cell of `images` (square, the DCAE's input size).
DeviceFeatures read_features(const TrainedDcae& ae, const DeviceImages& images,
                             const FeatureOptions& options, const ProgressFn& progress = {});

}  // namespace hep2
