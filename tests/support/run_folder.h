// Helpers for tests that run the hep2 binary: a fresh, per-process temporary folder name, and what
// a run folder holds: its JSON files (metrics.json, config.json, protocol.json), the parameters
// and optimiser state of its checkpoints, and the class probabilities of a `classify` predictions
// CSV.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
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

// Two checkpoints hold the same state bit for bit: every stored value (ParamBlock::get_all:
// parameters, gradients and the optimiser's moments; -0 and +0 differ) and the same optimiser
// step count. What a resumed run must reproduce; the headers also hold timings, so the files
// themselves differ.
inline ::testing::AssertionResult same_checkpoint_state(const Checkpoint& x, const Checkpoint& y) {
  if (x.values.size() != y.values.size())
    return ::testing::AssertionFailure()
           << x.values.size() << " values against " << y.values.size();
  for (size_t i = 0; i < x.values.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &x.values[i], 4);
    std::memcpy(&b, &y.values[i], 4);
    if (a != b) {
      // get_all() stores four blocks of equal size: parameters, gradients, first and second
      // moments (Adam; SGD leaves the last unused).
      static const char* kBlock[] = {"parameters", "gradients", "first moments", "second moments"};
      const size_t quarter = x.values.size() / 4;
      const size_t block = quarter ? std::min<size_t>(i / quarter, 3) : 0;
      return ::testing::AssertionFailure()
             << "value " << i << " (" << kBlock[block] << ", element " << i - block * quarter
             << "): " << x.values[i] << " against " << y.values[i];
    }
  }
  if (x.header.value("optimizer_steps", -1L) != y.header.value("optimizer_steps", -1L))
    return ::testing::AssertionFailure()
           << "optimizer_steps " << x.header.value("optimizer_steps", -1L) << " against "
           << y.header.value("optimizer_steps", -1L);
  return ::testing::AssertionSuccess();
}
inline ::testing::AssertionResult same_checkpoint_state(const std::string& a, const std::string& b) {
  ::testing::AssertionResult r = same_checkpoint_state(load_checkpoint(a), load_checkpoint(b));
  if (!r) r << " (" << a << " vs " << b << ")";
  return r;
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
