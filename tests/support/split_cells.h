// Synthetic cells on disk (`hep2 synth`) with a manifest that carries its own train/test split,
// so that the split does not depend on --seed, as on real data with a split column; and a
// manifest's columns.
#pragma once
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_hep2.h"

namespace hep2::test {

// Writes `count` cells of `size` pixels into `dir` and returns the path of its split manifest
// (every fourth cell is a test cell), or "" when `hep2 synth` failed.
inline std::string write_split_cells(const std::string& dir, int count, int size) {
  if (run_hep2("synth --count " + std::to_string(count) + " --size " + std::to_string(size) +
               " --seed 3 --out " + dir).code != 0)
    return "";
  std::ifstream in(dir + "/manifest.csv");
  const std::string manifest = dir + "/split.csv";
  std::ofstream out(manifest);
  std::string line;
  std::getline(in, line);
  out << line << ",split\n";
  for (int i = 0; std::getline(in, line); ++i) out << line << (i % 4 == 0 ? ",test\n" : ",train\n");
  return manifest;
}

// One column of a manifest CSV (by its header name; plain comma-separated values, as `hep2 synth`
// writes them), row by row; empty when the column is missing.
inline std::vector<std::string> manifest_column(const std::string& manifest, const std::string& name) {
  std::ifstream in(manifest);
  std::string line, cell;
  std::getline(in, line);
  std::stringstream header(line);
  int col = -1;
  for (int c = 0; std::getline(header, cell, ','); ++c)
    if (cell == name) col = c;
  std::vector<std::string> values;
  if (col < 0) return values;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    for (int c = 0; std::getline(row, cell, ','); ++c)
      if (c == col) values.push_back(cell);
  }
  return values;
}

}  // namespace hep2::test
