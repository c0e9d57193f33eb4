// --dcae-ensemble: member k is exactly the run that seed + k makes on the same cells and split
// (its DCAE, features and classifier), the ensemble predicts the mean of the members' class
// probabilities, and every step (run, train-ae/extract/train-clf, eval, classify, resume) handles
// the members' files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hep2/io/npy.h"
#include "hep2/pipeline/checkpoint.h"
#include "support/expect_mean_predictions.h"
#include "support/run_folder.h"
#include "support/run_hep2.h"
#include "support/split_cells.h"

namespace fs = std::filesystem;

namespace {

using hep2::test::Result;
using hep2::test::read_json;
using hep2::test::run_hep2;
using hep2::test::same_parameters;

std::string temp_dir(const std::string& name) {
  return hep2::test::fresh_temp_dir("hep2_dcae_ens_", name);
}

// Two checkpoints hold the same parameters and optimiser state, bit for bit (headers hold
// timings, so not the files).
void expect_same_parameters(const std::string& a, const std::string& b) {
  EXPECT_TRUE(hep2::test::same_checkpoint_state(a, b));
}

// The comparison above sees every stored value: a difference in the optimiser's second moments
// alone (the last quarter of the values), or in its step count, is a difference.
TEST(CheckpointComparison, SeesTheOptimiserStateNotOnlyTheParameters) {
  hep2::Checkpoint a;
  a.header = {{"kind", "dcae"}, {"optimizer_steps", 12}};
  a.values.resize(4 * 25);
  for (size_t i = 0; i < a.values.size(); ++i) a.values[i] = 0.5f + float(i);
  EXPECT_TRUE(hep2::test::same_checkpoint_state(a, a));
  hep2::Checkpoint b = a;
  b.values.back() = std::nextafter(b.values.back(), 1e9f);
  EXPECT_FALSE(hep2::test::same_checkpoint_state(a, b));
  b = a;
  b.values[3 * 25] = -b.values[3 * 25];
  EXPECT_FALSE(hep2::test::same_checkpoint_state(a, b));
  b = a;
  b.header["optimizer_steps"] = 11;
  EXPECT_FALSE(hep2::test::same_checkpoint_state(a, b));
}

// tools/aggregate_probabilities.py --json on run folders (its own tests: tests/tools/).
nlohmann::json aggregate(const std::string& folders) {
  const std::string python = HEP2_PYTHON_NUMPY;
  if (python.empty()) {
    ADD_FAILURE() << "no python3 with numpy: tools/setup.sh installs python3-numpy";
    return {};
  }
  const std::string cmd = python + " " + HEP2_TOOLS + "/aggregate_probabilities.py --json " + folders;
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  for (size_t n; p && (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = p ? pclose(p) : -1;
  EXPECT_EQ(status, 0) << cmd << "\n" << out;
  return status == 0 ? nlohmann::json::parse(out) : nlohmann::json();
}

// Synthetic cells with their own split (support/split_cells.h).
class DcaeEnsemble : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = temp_dir("root");
    cells_ = root_ + "/cells";
    ASSERT_FALSE(hep2::test::write_split_cells(cells_, 120, 16).empty());
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  // The DCAE's settings (train-ae takes no classifier flags; `run` adds --clf-epochs 3).
  static std::string common(uint64_t seed) {
    return "--device cpu --threads 1 --data " + cells_ + "/split.csv --size 16 --channels 8,16 "
           "--epochs 2 --ae-min-steps 0 --batch 16 --seed " + std::to_string(seed);
  }
  static std::string root_, cells_;
};
std::string DcaeEnsemble::root_, DcaeEnsemble::cells_;

TEST_F(DcaeEnsemble, MemberKIsTheRunOfSeedPlusKAndTheEnsembleAveragesThem) {
  const std::string ens = root_ + "/ens", s5 = root_ + "/s5", s6 = root_ + "/s6";
  Result r = run_hep2("run " + common(5) + " --clf-epochs 3 --dcae-ensemble 2 --out " + ens);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("DCAE 2 of 2, seed 6"), std::string::npos) << r.output;
  ASSERT_EQ(run_hep2("run " + common(5) + " --clf-epochs 3 --out " + s5).code, 0);
  ASSERT_EQ(run_hep2("run " + common(6) + " --clf-epochs 3 --out " + s6).code, 0);

  // The DCAEs and the MLPs (which are seeded too) are those of the single runs.
  expect_same_parameters(ens + "/dcae.ckpt", s5 + "/dcae.ckpt");
  expect_same_parameters(ens + "/dcae_m2.ckpt", s6 + "/dcae.ckpt");
  expect_same_parameters(ens + "/mlp.ckpt", s5 + "/mlp.ckpt");
  expect_same_parameters(ens + "/mlp_m2.ckpt", s6 + "/mlp.ckpt");
  EXPECT_FALSE(same_parameters(ens + "/dcae.ckpt", ens + "/dcae_m2.ckpt"));
  EXPECT_EQ(hep2::npy::load(ens + "/features_m2.npy").to_f32(),
            hep2::npy::load(s6 + "/features.npy").to_f32());
  for (const char* f : {"ae_m2_log.csv", "loss_curve_m2.png", "recon_grid_m2.png", "clf_log_m2.csv"})
    EXPECT_TRUE(fs::exists(ens + "/" + f)) << f;
  EXPECT_FALSE(fs::exists(ens + "/dcae_m3.ckpt"));
  EXPECT_EQ(read_json(ens + "/metrics.json").at("dcae_ensemble"), 2);
  // Each member's own figures sit beside the ensemble's: member 2's are the seed-6 run's.
  const nlohmann::json members = read_json(ens + "/metrics.json").at("members");
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[1].at("seed"), 6);
  EXPECT_EQ(members[1].at("mca"), read_json(s6 + "/metrics.json").at("mca"));
  EXPECT_EQ(members[0].at("mca"), read_json(s5 + "/metrics.json").at("mca"));
  EXPECT_NE(r.output.find("each DCAE alone"), std::string::npos) << r.output;
  EXPECT_FALSE(read_json(s5 + "/metrics.json").contains("members"));

  // tools/aggregate_probabilities.py, which the documented figures of larger ensembles come from,
  // gives hep2's own figures to the last digit: on the ensemble's folder, and on the two single
  // runs' folders together (their DCAEs are the ensemble's members).
  const nlohmann::json ens_metrics = read_json(ens + "/metrics.json");
  const nlohmann::json on_ens = aggregate(ens), on_pair = aggregate(s5 + " " + s6);
  for (const char* key : {"mca", "accuracy"}) {
    EXPECT_EQ(on_ens["ensemble"][key], ens_metrics.at(key)) << key << ": " << on_ens.dump();
    EXPECT_EQ(on_pair["ensemble"][key], ens_metrics.at(key)) << key << ": " << on_pair.dump();
    EXPECT_EQ(on_pair["runs"][1][key], read_json(s6 + "/metrics.json").at(key)) << key;
  }
  EXPECT_EQ(read_json(ens + "/config.json").at("dcae_ensemble"), 2);

  // classify: the ensemble's probabilities are the mean of the members' (same bits as the sum of
  // the two in member order, halved).
  hep2::test::expect_mean_predictions(ens, s5, s6, cells_ + "/manifest.csv", 120, 5);

  // eval (which loads every member back) reproduces the run's figures.
  const nlohmann::json first = read_json(ens + "/metrics.json");
  Result ev = run_hep2("eval --device cpu --out " + ens);
  ASSERT_EQ(ev.code, 0) << ev.output;
  EXPECT_EQ(first.at("confusion"), read_json(ens + "/metrics.json").at("confusion"));

  // A member missing is an error naming its file, not a quietly smaller ensemble.
  fs::remove(ens + "/mlp_m2.ckpt");
  Result broken = run_hep2("eval --device cpu --out " + ens);
  EXPECT_NE(broken.code, 0);
  EXPECT_NE(broken.output.find("mlp_m2.ckpt"), std::string::npos) << broken.output;
  fs::remove(ens + "/dcae_m2.ckpt");
  broken = run_hep2("classify --device cpu --out " + ens + " --images " + cells_ + "/manifest.csv");
  EXPECT_NE(broken.code, 0);
  EXPECT_NE(broken.output.find("dcae_m2.ckpt"), std::string::npos) << broken.output;
}

TEST_F(DcaeEnsemble, StepByStepWritesAndReadsEveryMember) {
  const std::string dir = root_ + "/steps", whole = root_ + "/whole";
  ASSERT_EQ(run_hep2("run " + common(9) + " --clf-epochs 3 --dcae-ensemble 3 --out " + whole).code, 0);
  Result t = run_hep2("train-ae " + common(9) + " --dcae-ensemble 3 --out " + dir);
  ASSERT_EQ(t.code, 0) << t.output;
  EXPECT_NE(t.output.find("dcae_m3.ckpt"), std::string::npos) << t.output;
  // The same thread count as the whole run: the classifier's dense products are not bit-identical
  // across thread counts (docs/performance.md), and the steps take --threads from the command
  // line, not from config.json.
  Result x = run_hep2("extract --device cpu --threads 1 --out " + dir);
  ASSERT_EQ(x.code, 0) << x.output;
  EXPECT_NE(x.output.find("features_m3.npy"), std::string::npos) << x.output;
  Result c = run_hep2("train-clf --device cpu --threads 1 --clf-epochs 3 --out " + dir);
  ASSERT_EQ(c.code, 0) << c.output;
  Result e = run_hep2("eval --device cpu --threads 1 --out " + dir);
  ASSERT_EQ(e.code, 0) << e.output;
  for (const char* f : {"dcae_m3.ckpt", "mlp_m3.ckpt"})
    expect_same_parameters(dir + "/" + f, whole + "/" + f);
  // The same early-stopping cells (whole specimens, from groups.json) and the specimen vote.
  EXPECT_TRUE(fs::exists(dir + "/groups.json"));
  EXPECT_EQ(read_json(dir + "/metrics.json").at("confusion"),
            read_json(whole + "/metrics.json").at("confusion"));
  EXPECT_EQ(read_json(dir + "/metrics.json").at("groups"),
            read_json(whole + "/metrics.json").at("groups"));
}

TEST_F(DcaeEnsemble, StoppedInsideAMemberResumesToTheSameEnsemble) {
  const std::string straight = root_ + "/straight", stopped = root_ + "/stopped";
  const std::string args = "train-ae " + common(11) + " --dcae-ensemble 2 --out ";
  ASSERT_EQ(run_hep2(args + straight).code, 0);
  // 90 training cells at batch 16: 6 steps per epoch; the first DCAE stops in its second epoch.
  Result s = run_hep2(args + stopped + " --stop-after-steps 8");
  ASSERT_EQ(s.code, 0) << s.output;
  EXPECT_FALSE(fs::exists(stopped + "/dcae_m2.ckpt"));
  Result r = run_hep2("train-ae --device cpu --threads 1 --resume --out " + stopped);
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* f : {"dcae.ckpt", "dcae_m2.ckpt"})
    expect_same_parameters(straight + "/" + f, stopped + "/" + f);
}

}  // namespace
