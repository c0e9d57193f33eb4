// Helpers for tests that run the hep2 binary: a fresh, per-process temporary folder name and the
// JSON files (metrics.json, config.json, protocol.json) a run folder holds.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace hep2::test {

// <tmp>/<prefix><name>_<pid>, removed if it exists (not created).
inline std::string fresh_temp_dir(const std::string& prefix, const std::string& name) {
  namespace fs = std::filesystem;
  fs::path d = fs::temp_directory_path() / (prefix + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  return d.string();
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

}  // namespace hep2::test
