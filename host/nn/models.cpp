// Builders of the DCAE and the MLP from their configs.
#include "hep2/nn/models.h"

#include <memory>
#include <sstream>

#include "hep2/core/error.h"
#include "hep2/nn/layers.h"

namespace hep2 {

DecoderKind parse_decoder(const std::string& s) {
  if (s == "deconv" || s == "transposed") return DecoderKind::Transposed;
  if (s == "upsample") return DecoderKind::Upsample;
  fail("unknown decoder '", s, "': use deconv (transposed convolutions) or upsample (nearest x2 + conv)");
}

std::string decoder_name(DecoderKind k) {
  return k == DecoderKind::Transposed ? "deconv" : "upsample";
}

void DcaeConfig::validate() const {
  if (channels.empty()) fail("the DCAE needs at least one encoder stage");
  for (int c : channels)
    if (c < 1) fail("DCAE channel count ", c, " must be positive");
  if (in_channels < 1) fail("input channels must be positive");
  int div = 1 << stages();
  if (height < div || width < div || height % div || width % div)
    fail("input size ", height, "x", width, " must be a multiple of ", div, " (2^", stages(),
         " encoder stages); try {size} ", (height / div < 1 ? 1 : height / div) * div);
}

Shape4 DcaeConfig::latent_shape() const {
  int div = 1 << stages();
  return {1, channels.back(), height / div, width / div};
}

std::string DcaeConfig::describe() const {
  std::ostringstream os;
  os << "DCAE " << height << "x" << width << "x" << in_channels << ", channels";
  for (int c : channels) os << " " << c;
  os << ", decoder " << decoder_name(decoder) << ", latent " << feature_size();
  return os.str();
}

namespace {
void add_mlp_layers(Network& net, const MlpConfig& cfg) {
  int in = cfg.inputs;
  for (size_t i = 0; i < cfg.hidden.size(); ++i) {
    std::string s = "fc" + std::to_string(i + 1);
    net.add(s, std::make_unique<Dense>(in, cfg.hidden[i], Act::Relu));
    if (cfg.dropout > 0) net.add(s + ".drop", std::make_unique<Dropout>(cfg.dropout));
    in = cfg.hidden[i];
  }
  net.add("fc" + std::to_string(cfg.hidden.size() + 1),
          std::make_unique<Dense>(in, cfg.classes, Act::None));
}

// Two layers a stage: encoder_stage_end counts on it.
void add_encoder_layers(Network& net, const DcaeConfig& cfg) {
  int c = cfg.in_channels;
  for (int i = 0; i < cfg.stages(); ++i) {
    std::string s = "enc" + std::to_string(i + 1);
    net.add(s + ".conv", std::make_unique<Conv2d>(c, cfg.channels[i], 3, 1, Act::Relu));
    net.add(s + ".pool", std::make_unique<MaxPool2>());
    c = cfg.channels[i];
  }
}
}  // namespace

Dcae build_dcae(const DcaeConfig& cfg) {
  cfg.validate();
  Dcae m{cfg, Network(Shape4{1, cfg.in_channels, cfg.height, cfg.width}), 0};
  add_encoder_layers(m.net, cfg);
  int c = cfg.channels.back();
  m.latent_end = m.net.layer_count();
  for (int i = cfg.stages() - 1; i >= 0; --i) {
    int out = i > 0 ? cfg.channels[i - 1] : cfg.in_channels;
    Act act = i > 0 ? Act::Relu : Act::None;  // the last layer's logits go to sigmoid + MSE
    std::string s = "dec" + std::to_string(cfg.stages() - i);
    if (cfg.decoder == DecoderKind::Transposed) {
      m.net.add(s + ".deconv", std::make_unique<Deconv2d>(c, out, 4, 2, 1, act));
    } else {
      m.net.add(s + ".up", std::make_unique<Upsample2>());
      m.net.add(s + ".conv", std::make_unique<Conv2d>(c, out, 3, 1, act));
    }
    c = out;
  }
  return m;
}

size_t encoder_stage_end(const DcaeConfig& cfg, int stage) {
  if (stage < 1 || stage > cfg.stages())
    fail("encoder stage ", stage, " does not exist: the DCAE has stages 1..", cfg.stages());
  return size_t(2 * stage);
}

void MlpConfig::validate() const {
  if (inputs < 1) fail("MLP input size ", inputs, " must be positive");
  if (classes < 2) fail("the classifier needs at least 2 classes, got ", classes);
  for (int h : hidden)
    if (h < 1) fail("MLP hidden size ", h, " must be positive");
  if (!(dropout >= 0.f && dropout < 1.f)) fail("dropout ", dropout, " must be in [0, 1)");
}

std::string MlpConfig::describe() const {
  std::ostringstream os;
  os << "MLP " << inputs;
  for (int h : hidden) os << "-" << h;
  os << "-" << classes;
  if (dropout > 0) os << " (dropout " << dropout << ")";
  return os.str();
}


Network build_mlp(const MlpConfig& cfg) {
  cfg.validate();
  Network net(Shape4{1, cfg.inputs, 1, 1});
  add_mlp_layers(net, cfg);
  return net;
}

Network build_supervised(const DcaeConfig& encoder, const MlpConfig& mlp) {
  encoder.validate();
  mlp.validate();
  if (size_t(mlp.inputs) != encoder.feature_size())
    fail("the supervised network's MLP takes ", mlp.inputs, " inputs but the encoder gives ",
         encoder.feature_size());
  Network net(Shape4{1, encoder.in_channels, encoder.height, encoder.width});
  add_encoder_layers(net, encoder);
  add_mlp_layers(net, mlp);
  return net;
}

}  // namespace hep2
