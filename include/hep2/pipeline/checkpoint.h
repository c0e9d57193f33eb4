// Model checkpoints: a versioned binary file holding a model's architecture, its parameters and
// optimiser state, and where training stood.
//
// Layout (little-endian): "HEP2CKPT" | u32 format version | u64 header length | header (JSON text:
// kind, architecture config, epoch, optimiser steps, RNG state, anything else) | u64 float count |
// floats | u64 FNV-1a checksum of every byte before it. Written atomically (temp file + rename).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hep2 {

inline constexpr uint32_t kCheckpointVersion = 1;

struct Checkpoint {
  nlohmann::json header;      // "kind": "dcae" | "mlp", "config": {...}, "epoch", "optimizer_steps", ...
  std::vector<float> values;  // ParamBlock::get_all(): parameters, gradients, moments
};

void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
// Throws Error naming the file on a wrong magic, an unknown version, a truncated file or a bad
// checksum, and saying what to do.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace hep2
