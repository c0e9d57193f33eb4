// `hep2 cv`, the evaluation protocol: k folds x seeds runs whose test cells partition the data,
// a summary that is the mean and sample std of the runs, the data's own split with --folds 0,
// and the refusals (no split of its own; seeds that would repeat an ensemble's DCAEs).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hep2/io/npy.h"
#include "support/run_folder.h"
#include "support/run_hep2.h"
#include "support/split_cells.h"

namespace fs = std::filesystem;

namespace {

using hep2::test::Result;
using hep2::test::read_json;
using hep2::test::run_hep2;

std::string temp_dir(const std::string& name) {
  return hep2::test::fresh_temp_dir("hep2_cv_", name);
}

const std::string kSmallModel =
    "--device cpu --threads 1 --size 16 --channels 8,16 --epochs 1 --ae-min-steps 0 --batch 16 --features stats "
    "--classifier linear --clf-balance";

TEST(Protocol, FoldsPartitionTheCellsAndTheSummaryIsTheRunsMeanAndStd) {
  const std::string dir = temp_dir("folds"), cells = temp_dir("fold_cells");
  // Synthetic cells on disk: the manifest names each cell's specimen (its group column).
  ASSERT_EQ(run_hep2("synth --count 100 --size 16 --seed 3 --out " + cells).code, 0);
  const std::string manifest = cells + "/manifest.csv";
  Result r = run_hep2("cv " + kSmallModel + " --data " + manifest + " --folds 2 --seeds 1,3 --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json p = read_json(dir + "/protocol.json");
  ASSERT_EQ(p.at("runs").size(), 4u);  // 2 folds x 2 seeds
  std::map<int, int> test_cells_of_seed;
  double sum = 0;
  for (const auto& run : p.at("runs")) {
    test_cells_of_seed[run.at("seed").get<int>()] += run.at("test_cells").get<int>();
    sum += run.at("mca").get<double>();
    const std::string folder = run.at("folder");
    ASSERT_TRUE(fs::exists(folder + "/metrics.json")) << folder;
    EXPECT_DOUBLE_EQ(read_json(folder + "/metrics.json").at("mca").get<double>(),
                     run.at("mca").get<double>());
  }
  // Each seed's folds test every cell once.
  EXPECT_EQ(test_cells_of_seed, (std::map<int, int>{{1, 100}, {3, 100}}));
  // Counts alone would pass folds that test the same cells twice: each run's test_rows.npy says
  // which cells (rows of the manifest) it tested, the manifest each cell's specimen. A seed's
  // test folds are disjoint, cover every cell, and never split a specimen (which also keeps a
  // specimen from being on both sides of a run: its other folds are the training cells).
  const std::vector<std::string> group_of = hep2::test::manifest_column(manifest, "group");
  ASSERT_EQ(group_of.size(), 100u);
  std::map<int, std::vector<int>> fold_of_cell;  // per seed: the fold testing each cell (0: none)
  for (const auto& run : p.at("runs")) {
    const std::string folder = run.at("folder");
    const int seed = run.at("seed"), fold = run.at("fold");
    const std::vector<int32_t> rows = hep2::npy::load(folder + "/test_rows.npy").to_i32();
    EXPECT_EQ(int(rows.size()), run.at("test_cells").get<int>()) << folder;
    std::vector<int>& owner = fold_of_cell.try_emplace(seed, std::vector<int>(100, 0)).first->second;
    for (int32_t i : rows) {
      ASSERT_TRUE(i >= 0 && i < 100) << folder;
      EXPECT_EQ(owner[size_t(i)], 0) << "cell " << i << " tested by folds " << owner[size_t(i)]
                                     << " and " << fold << " (seed " << seed << ")";
      owner[size_t(i)] = fold;
    }
  }
  ASSERT_EQ(fold_of_cell.size(), 2u);
  for (const auto& [seed, owner] : fold_of_cell) {
    EXPECT_EQ(std::count(owner.begin(), owner.end(), 0), 0) << "cells never tested, seed " << seed;
    std::map<std::string, std::set<int>> folds_of_group;
    for (size_t i = 0; i < owner.size(); ++i) folds_of_group[group_of[i]].insert(owner[i]);
    EXPECT_GT(folds_of_group.size(), 4u);  // enough specimens that a split one would show
    for (const auto& [g, f] : folds_of_group)
      EXPECT_EQ(f.size(), 1u) << "specimen " << g << " split over folds, seed " << seed;
  }
  const double mean = sum / 4;
  double ss = 0;
  for (const auto& run : p.at("runs")) ss += std::pow(run.at("mca").get<double>() - mean, 2);
  EXPECT_NEAR(p.at("mca").at("mean").get<double>(), mean, 1e-12);
  EXPECT_NEAR(p.at("mca").at("std").get<double>(), std::sqrt(ss / 3), 1e-12);
  EXPECT_EQ(p.at("mca").at("n"), 4);
  EXPECT_TRUE(p.at("grouped").get<bool>());  // synthetic cells name their specimen
  EXPECT_TRUE(p.contains("group_mca"));
  EXPECT_NE(r.output.find("cell MCA"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("least squares"), std::string::npos) << r.output;
  fs::remove_all(dir);
  fs::remove_all(cells);
}

TEST(Protocol, OwnSplitRunsTheEnsembleOncePerSeed) {
  const std::string dir = temp_dir("own"), cells = temp_dir("cells");
  const std::string manifest = hep2::test::write_split_cells(cells, 80, 16);
  ASSERT_FALSE(manifest.empty());
  Result r = run_hep2("cv " + kSmallModel + " --data " + manifest +
                      " --folds 0 --dcae-ensemble 2 --stats-sizes 16,8 --seeds 1,3 --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json p = read_json(dir + "/protocol.json");
  ASSERT_EQ(p.at("runs").size(), 2u);
  for (const auto& run : p.at("runs")) {
    EXPECT_EQ(run.at("test_cells"), 20);  // the manifest's test cells, whatever the seed
    EXPECT_TRUE(fs::exists(run.at("folder").get<std::string>() + "/dcae_m2.ckpt"));
  }
  EXPECT_NE(r.output.find("2 DCAE(s) averaged"), std::string::npos) << r.output;
  // The members' own figures: two per run, summarised over the four DCAEs.
  for (const auto& run : p.at("runs")) EXPECT_EQ(run.at("member_mca").size(), 2u);
  EXPECT_EQ(p.at("member_mca").at("n"), 4);
  EXPECT_NE(r.output.find("cell MCA, one DCAE"), std::string::npos) << r.output;
  // Each reading's own figures: two DCAEs x two sizes per run, summarised by size over the runs.
  double sum8 = 0;
  for (const auto& run : p.at("runs")) {
    ASSERT_EQ(run.at("reading_mca").size(), 4u);
    for (const auto& reading : run.at("reading_mca"))
      if (reading.at("size") == 8) sum8 += reading.at("mca").get<double>();
  }
  const nlohmann::json by_size = p.at("reading_mca");
  ASSERT_EQ(by_size.size(), 2u);
  EXPECT_EQ(by_size[0].at("size"), 8);  // ascending sizes
  EXPECT_EQ(by_size[0].at("n"), 4);
  EXPECT_NEAR(by_size[0].at("mean").get<double>(), sum8 / 4, 1e-12);
  EXPECT_EQ(by_size[1].at("size"), 16);
  EXPECT_NE(r.output.find("cell MCA, 8 px"), std::string::npos) << r.output;
  fs::remove_all(dir);
  fs::remove_all(cells);
}

TEST(Protocol, RefusesWhatItCannotMeasureHonestly) {
  const std::string dir = temp_dir("refused");
  Result no_split = run_hep2("cv " + kSmallModel + " --synth-count 40 --folds 0 --out " + dir);
  EXPECT_NE(no_split.code, 0);
  EXPECT_NE(no_split.output.find("has no split of its own: use --folds k"), std::string::npos)
      << no_split.output;
  EXPECT_FALSE(fs::exists(dir));
  // Seeds 1 and 2 with three DCAEs each would share two of them.
  Result overlap =
      run_hep2("cv " + kSmallModel + " --synth-count 40 --dcae-ensemble 3 --seeds 1,2 --out " + dir);
  EXPECT_NE(overlap.code, 0);
  EXPECT_NE(overlap.output.find("seeds 1 and 2 would train the same DCAEs"), std::string::npos)
      << overlap.output;
  EXPECT_NE(overlap.output.find("--seeds 1,4,7"), std::string::npos) << overlap.output;
  EXPECT_FALSE(fs::exists(dir));  // refused before the folder is made
}

}  // namespace
