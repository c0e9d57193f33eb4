// `hep2 bench`: timings of the method's phases and of every layer, as a table and as JSON.
// Warm-up first, then the median of repeats; FLOP rates from the work each step really does.
#pragma once
#include <string>

#include <CLI/CLI.hpp>

namespace hep2::app {

struct BenchOptions {
  std::string device = "auto";
  int threads = 0;
  int batch = 64;
  int size = 64;
  std::string decoder = "deconv";
  int repeats = 10;
  int warmup = 2;
  bool layers = true;
  bool tf32 = false;
  std::string json;  // also write the JSON here
};

void add_bench_options(CLI::App& app, BenchOptions& o);
void run_bench(const BenchOptions& o);
void print_info(bool json);

}  // namespace hep2::app
