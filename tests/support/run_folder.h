// Helpers for tests that run the hep2 binary: a fresh, per-process temporary folder name, and what
// a run folder holds: its JSON files (metrics.json, config.json, protocol.json), the parameters
// of its checkpoints, and the class probabilities of a `classify` predictions CSV.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hep2/pipeline/checkpoint.h"

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

// The parameters of two checkpoints are the same bits (headers hold timings, so not the files).
inline bool same_parameters(const std::string& a, const std::string& b) {
  return load_checkpoint(a).values == load_checkpoint(b).values;
}

// The p_<class> columns of a predictions CSV, row by row.
inline std::vector<std::vector<float>> read_probabilities(const std::string& csv) {
  std::ifstream f(csv);
  std::string line;
  std::getline(f, line);
  std::vector<size_t> cols;
  {
    std::stringstream h(line);
    std::string name;
    for (size_t c = 0; std::getline(h, name, ','); ++c)
      if (name.rfind("p_", 0) == 0) cols.push_back(c);
  }
  std::vector<std::vector<float>> rows;
  while (std::getline(f, line)) {
    std::stringstream r(line);
    std::string cell;
    std::vector<float> p;
    for (size_t c = 0, k = 0; std::getline(r, cell, ','); ++c)
      if (k < cols.size() && cols[k] == c) {
        p.push_back(std::strtof(cell.c_str(), nullptr));  // stof throws on subnormals
        ++k;
      }
    rows.push_back(p);
  }
  return rows;
}

}  // namespace hep2::test
