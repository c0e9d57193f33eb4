// A Trainer to and from a checkpoint file: its parameter block (parameters, gradients, Adam
// moments) and optimiser step count, under a header the caller describes the model with.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "hep2/nn/trainer.h"
#include "hep2/pipeline/checkpoint.h"

namespace hep2 {

// Adds optimizer_steps and param_count to the header; written atomically.
void save_trainer(const std::string& file, Trainer& t, nlohmann::json header);
// Throws Error naming the file when the checkpoint holds another number of values than t needs.
void restore_trainer(const std::string& file, Trainer& t, const Checkpoint& c);

}  // namespace hep2
