// Units spread over MPI ranks give the single process's figures: `cv` (folds x seeds) and
// `run --dcae-ensemble` (DCAE members) on 2 ranks against one process, number for number and
// checkpoint for checkpoint; a rank that fails or is killed ends the job with a clear error and
// leaves a folder that --resume finishes; an array job's --unit runs and --merge make the same
// protocol.json. The tests that need mpirun skip (with the reason) in a build without MPI.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hep2/io/npy.h"
#include "hep2/pipeline/checkpoint.h"
#include "support/run_folder.h"
#include "support/run_hep2.h"
#include "support/run_mpi.h"

namespace fs = std::filesystem;

namespace {

using hep2::test::read_json;
using hep2::test::Result;
using hep2::test::run_hep2;

using hep2::test::mpirun;
using hep2::test::run_shell;

// Tiny synthetic work: 4 units of a fraction of a second each. One thread per process, so the
// single process and each rank compute with the same thread count (the CPU path's bits may
// depend on it).
const std::string kCv =
    "cv --device cpu --threads 1 --synth-count 100 --size 16 --channels 4,8 --epochs 1 --ae-min-steps 0 "
    "--clf-epochs 3 --folds 2 --seeds 1,2";
const std::vector<std::string> kUnits = {"seed-1/fold-1", "seed-1/fold-2", "seed-2/fold-1",
                                         "seed-2/fold-2"};

// protocol.json without what differs between two runs of the same units: the wall time and the
// folders' paths.
nlohmann::json figures_of_protocol(const std::string& dir) {
  nlohmann::json j = read_json(dir + "/protocol.json");
  j.erase("seconds");
  for (nlohmann::json& r : j.at("runs")) r.erase("folder");
  return j;
}

// metrics.json without its timings.
nlohmann::json figures_of_metrics(const std::string& file) {
  nlohmann::json j = read_json(file);
  j.erase("images_per_s");
  j.erase("train_clf_seconds");
  return j;
}

void expect_same_parameters(const std::string& a, const std::string& b) {
  ASSERT_TRUE(fs::exists(a)) << a;
  ASSERT_TRUE(fs::exists(b)) << b;
  hep2::Checkpoint x = hep2::load_checkpoint(a), y = hep2::load_checkpoint(b);
  ASSERT_EQ(x.values.size(), y.values.size()) << a << " vs " << b;
  EXPECT_EQ(std::memcmp(x.values.data(), y.values.data(), x.values.size()), 0) << a << " vs " << b;
}

// Every figure and every model of two protocol folders of the same units.
void expect_same_protocol(const std::string& a, const std::string& b) {
  EXPECT_EQ(figures_of_protocol(a), figures_of_protocol(b)) << a << " vs " << b;
  for (const std::string& u : kUnits) {
    EXPECT_EQ(figures_of_metrics(a + "/" + u + "/metrics.json"),
              figures_of_metrics(b + "/" + u + "/metrics.json"))
        << u;
    expect_same_parameters(a + "/" + u + "/dcae.ckpt", b + "/" + u + "/dcae.ckpt");
    expect_same_parameters(a + "/" + u + "/mlp.ckpt", b + "/" + u + "/mlp.ckpt");
  }
}

class Ranks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = hep2::test::fresh_temp_dir("hep2_ranks_", "root");
    fs::create_directories(root_);
    single_ = root_ + "/single";
    Result r = run_hep2(kCv + " --out " + single_);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static std::string root_, single_;
};
std::string Ranks::root_, Ranks::single_;

TEST_F(Ranks, CvOnTwoRanksIsTheSingleProcessRun) {
  NEED_MPI();
  const std::string two = root_ + "/two";
  Result r = run_shell(mpirun(2) + " " + kCv + " --out " + two);
  ASSERT_EQ(r.code, 0) << r.output;
  // The summary table is printed once, by rank 0.
  size_t tables = 0;
  for (size_t at = r.output.find("hep2 protocol:"); at != std::string::npos;
       at = r.output.find("hep2 protocol:", at + 1))
    ++tables;
  EXPECT_EQ(tables, 1u) << r.output;
  expect_same_protocol(single_, two);
}

TEST_F(Ranks, DcaeEnsembleOnTwoRanksIsTheSingleProcessRun) {
  NEED_MPI();
  const std::string run =
      "run --device cpu --threads 1 --synth-count 100 --size 16 --channels 4,8 --epochs 1 --ae-min-steps 0 "
      "--clf-epochs 3 --dcae-ensemble 3 --seed 4";
  const std::string one = root_ + "/ens1", two = root_ + "/ens2";
  Result a = run_hep2(run + " --out " + one);
  ASSERT_EQ(a.code, 0) << a.output;
  Result b = run_shell(mpirun(2) + " " + run + " --out " + two);
  ASSERT_EQ(b.code, 0) << b.output;
  // Rank 1 trained member 2 (seed 5): its line is in the job's output, the summary once.
  EXPECT_NE(b.output.find("DCAE 2 of 3, seed 5"), std::string::npos) << b.output;
  EXPECT_EQ(figures_of_metrics(one + "/metrics.json"), figures_of_metrics(two + "/metrics.json"));
  EXPECT_EQ(hep2::npy::load(one + "/test_probabilities.npy").to_f32(),
            hep2::npy::load(two + "/test_probabilities.npy").to_f32());
  for (const char* tag : {"", "_m2", "_m3"}) {
    expect_same_parameters(one + "/dcae" + tag + ".ckpt", two + "/dcae" + tag + ".ckpt");
    expect_same_parameters(one + "/mlp" + tag + ".ckpt", two + "/mlp" + tag + ".ckpt");
    EXPECT_EQ(hep2::npy::load(one + "/features" + tag + ".npy").to_f32(),
              hep2::npy::load(two + "/features" + tag + ".npy").to_f32())
        << tag;
  }
}

TEST_F(Ranks, AFailingRankEndsTheJobNamingRankAndUnitAndResumeFinishesIt) {
  NEED_MPI();
  const std::string dir = root_ + "/failing";
  // Unit 2 (seed 1, fold 2: rank 1's first) cannot make its folder: a file is in the way.
  fs::create_directories(dir + "/seed-1");
  std::ofstream(dir + "/seed-1/fold-2") << "in the way\n";
  Result r = run_shell(mpirun(2) + " " + kCv + " --out " + dir);
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("hep2: error: rank 1 of 2, unit seed 1, fold 2/2: cannot create the run "
                          "folder"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir + "/protocol.json")) << "a failed job must not look finished";

  fs::remove(dir + "/seed-1/fold-2");
  Result again = run_shell(mpirun(2) + " " + kCv + " --resume --out " + dir);
  ASSERT_EQ(again.code, 0) << again.output;
  expect_same_protocol(single_, dir);
}

TEST_F(Ranks, AKilledRankEndsTheJobAndLeavesAResumableFolder) {
  NEED_MPI();
  // Longer units, so that rank 1 is inside its unit when it is killed.
  const std::string cv =
      "cv --device cpu --threads 1 --synth-count 200 --size 32 --channels 4,8 --epochs 8 --ae-min-steps 0 "
      "--clf-epochs 3 --folds 2 --seeds 1";
  const std::string ref = root_ + "/kill_ref", dir = root_ + "/killed";
  ASSERT_EQ(run_hep2(cv + " --out " + ref).code, 0);
  // Start the job, wait for rank 1's unit (seed 1, fold 2) to begin, SIGKILL that rank.
  const std::string script =
      mpirun(2) + " " + cv + " --out " + dir + " > " + root_ + "/killed.log 2>&1 & job=$!; "
      "for i in $(seq 1 1000); do [ -e " + dir + "/seed-1/fold-2/config.json ] && break; "
      "sleep 0.01; done; "
      "for p in $(pgrep -P $job); do "
      "  if tr '\\0' '\\n' < /proc/$p/environ | grep -qx OMPI_COMM_WORLD_RANK=1; then "
      "    kill -9 $p; echo killed rank 1; fi; "
      "done; wait $job; echo job exit $?; cat " + root_ + "/killed.log";
  Result r = run_shell(script);
  ASSERT_NE(r.output.find("killed rank 1"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("job exit 0"), std::string::npos) << r.output;
  // Open MPI's launcher names the rank that died.
  EXPECT_NE(r.output.find("rank 1"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/protocol.json"));
  EXPECT_FALSE(fs::exists(dir + "/seed-1/fold-2/metrics.json"));

  Result again = run_shell(mpirun(2) + " " + cv + " --resume --out " + dir);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(figures_of_protocol(ref), figures_of_protocol(dir));
  expect_same_parameters(ref + "/seed-1/fold-2/dcae.ckpt", dir + "/seed-1/fold-2/dcae.ckpt");
}

// An array job without MPI: each unit alone (--unit), then --merge.
TEST_F(Ranks, UnitsRunOneByOneThenMergedAreTheSingleProcessRun) {
  const std::string dir = root_ + "/array";
  Result early = run_hep2(kCv + " --unit 1 --out " + dir);
  ASSERT_EQ(early.code, 0) << early.output;
  EXPECT_FALSE(fs::exists(dir + "/protocol.json"));
  Result missing = run_hep2(kCv + " --merge --out " + dir);
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.output.find("seed-1/fold-2/metrics.json does not exist"), std::string::npos)
      << missing.output;
  EXPECT_FALSE(fs::exists(dir + "/protocol.json"));
  for (int u = 4; u >= 2; --u) {  // any order
    Result r = run_hep2(kCv + " --unit " + std::to_string(u) + " --out " + dir);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  Result merged = run_hep2(kCv + " --merge --out " + dir);
  ASSERT_EQ(merged.code, 0) << merged.output;
  expect_same_protocol(single_, dir);
  // The units of another protocol are refused.
  Result other = run_hep2(kCv + " --folds 3 --merge --out " + dir);
  EXPECT_NE(other.code, 0);
  EXPECT_NE(other.output.find("give the same --folds and --seeds"), std::string::npos)
      << other.output;
}

TEST(RanksWithoutLauncher, AnyBuildRunAloneIsOneRank) {
  Result r = run_hep2("info --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("ranks"), 1);
  EXPECT_EQ(j.at("rank"), 0);
#ifdef HEP2_MPIEXEC
  EXPECT_TRUE(j.at("mpi_built").get<bool>());
#else
  EXPECT_FALSE(j.at("mpi_built").get<bool>());
#endif
}

}  // namespace
