// Synthetic cells on disk (`hep2 synth`) with a manifest that carries its own train/test split,
// so that the split does not depend on --seed, as on real data with a split column.
#pragma once
#include <fstream>
#include <string>

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

}  // namespace hep2::test
