// The two models of the method: the deep convolutional autoencoder (DCAE) whose latent is the
// feature vector, and the MLP classifier on those features. Both are small configs that build a
// Network; nothing about the architecture is spread through the code.
#pragma once
#include <string>
#include <vector>

#include "hep2/nn/network.h"

namespace hep2 {

enum class DecoderKind {
  Transposed,  // each stage: transposed conv 4x4 stride 2 pad 1 (the paper's "deconvolution")
  Upsample,    // each stage: nearest up-sample x2, then conv 3x3 pad 1
};
DecoderKind parse_decoder(const std::string& s);  // "deconv" | "upsample"
std::string decoder_name(DecoderKind k);

struct DcaeConfig {
  int height = 64, width = 64, in_channels = 1;
  // Encoder stage i: conv 3x3 (channels[i-1] -> channels[i]) + ReLU + max-pool 2x2.
  // The decoder mirrors it back to in_channels. Latent: channels.back() x H/2^s x W/2^s.
  std::vector<int> channels = {32, 64, 64};
  DecoderKind decoder = DecoderKind::Transposed;

  int stages() const { return int(channels.size()); }
  Shape4 latent_shape() const;  // per sample (n = 1)
  size_t feature_size() const { return latent_shape().per_sample(); }
  void validate() const;        // throws Error with what to change
  std::string describe() const;
};

// The network's layer list: encoder layers first; the decoder's last layer outputs logits
// (the loss applies the sigmoid). latent_end = number of layers that produce the latent.
struct Dcae {
  DcaeConfig config;
  Network net;
  size_t latent_end = 0;
};
Dcae build_dcae(const DcaeConfig& cfg);
// The number of layers, from the input, that produce encoder stage `stage`'s output (1-based: its
// conv + ReLU + max-pool); throws Error unless 1 <= stage <= cfg.stages().
size_t encoder_stage_end(const DcaeConfig& cfg, int stage);

struct MlpConfig {
  int inputs = 4096;
  std::vector<int> hidden = {250, 50};
  int classes = 5;
  float dropout = 0.f;  // after each hidden layer, when > 0
  void validate() const;
  std::string describe() const;
};
Network build_mlp(const MlpConfig& cfg);

// The supervised baseline: the DCAE's encoder followed by the MLP, one network trained end to end
// with labels (mlp.inputs must equal the encoder's feature size).
Network build_supervised(const DcaeConfig& encoder, const MlpConfig& mlp);

}  // namespace hep2
