// JSON of DcaeConfig, MlpConfig and AeTrainState.
#include "hep2/pipeline/model_json.h"

namespace hep2 {

nlohmann::json to_json(const DcaeConfig& c) {
  return {{"height", c.height}, {"width", c.width}, {"in_channels", c.in_channels},
          {"channels", c.channels}, {"decoder", decoder_name(c.decoder)}};
}

DcaeConfig dcae_config_from_json(const nlohmann::json& j) {
  DcaeConfig c;
  c.height = j.at("height");
  c.width = j.at("width");
  c.in_channels = j.at("in_channels");
  c.channels = j.at("channels").get<std::vector<int>>();
  c.decoder = parse_decoder(j.at("decoder"));
  return c;
}

nlohmann::json to_json(const MlpConfig& c) {
  return {{"inputs", c.inputs}, {"hidden", c.hidden}, {"classes", c.classes},
          {"dropout", c.dropout}};
}

MlpConfig mlp_config_from_json(const nlohmann::json& j) {
  MlpConfig c;
  c.inputs = j.at("inputs");
  c.hidden = j.at("hidden").get<std::vector<int>>();
  c.classes = j.at("classes");
  c.dropout = j.at("dropout");
  return c;
}

nlohmann::json to_json(const AeTrainState& s) {
  nlohmann::json h = nlohmann::json::array();
  for (const EpochStat& e : s.history)
    h.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"seconds", e.seconds},
                 {"images_per_s", e.images_per_s}});
  return {{"epoch", s.epoch}, {"step", s.step}, {"rng_state", s.rng_state},
          {"rng_inc", s.rng_inc}, {"epoch_losses", s.epoch_losses}, {"history", h}};
}

AeTrainState ae_train_state_from_json(const nlohmann::json& j) {
  AeTrainState s;
  s.epoch = j.at("epoch");
  s.step = j.at("step");
  s.rng_state = j.at("rng_state");
  s.rng_inc = j.at("rng_inc");
  s.epoch_losses = j.at("epoch_losses").get<std::vector<float>>();
  for (const auto& e : j.at("history")) {
    EpochStat st;
    st.epoch = e.at("epoch");
    st.loss = e.at("loss");
    st.seconds = e.at("seconds");
    st.images_per_s = e.at("images_per_s");
    s.history.push_back(st);
  }
  return s;
}

}  // namespace hep2
