// The JSON forms of the models' configurations and of the autoencoder's training state, as
// checkpoints' headers record them. Reading throws nlohmann::json::exception on a missing key or a
// wrong type; the caller names the file.
#pragma once
#include <nlohmann/json.hpp>

#include "hep2/nn/models.h"
#include "hep2/pipeline/training.h"

namespace hep2 {

nlohmann::json to_json(const DcaeConfig& c);  // height, width, in_channels, channels, decoder
DcaeConfig dcae_config_from_json(const nlohmann::json& j);

nlohmann::json to_json(const MlpConfig& c);  // inputs, hidden, classes, dropout
MlpConfig mlp_config_from_json(const nlohmann::json& j);

nlohmann::json to_json(const AeTrainState& s);  // epoch, step, RNG, this epoch's losses, history
AeTrainState ae_train_state_from_json(const nlohmann::json& j);

}  // namespace hep2
