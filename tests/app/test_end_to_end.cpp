// Rung 5 of the test ladder: the hep2 command end to end on a small synthetic set, the step-by-step
// subcommands on the same run folder, and the command line's answers to bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "hep2/io/npy.h"
#include "hep2/pipeline/checkpoint.h"
#include "support/run_folder.h"
#include "support/run_hep2.h"

namespace fs = std::filesystem;

namespace {

using hep2::test::Result;
using hep2::test::read_json;
using hep2::test::run_hep2;

std::string temp_dir(const std::string& name) {
  return hep2::test::fresh_temp_dir("hep2_e2e_", name);
}

// A small but real run: 400 synthetic cells of 32x32, a few epochs. Shared by the tests below.
class EndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = temp_dir("run");
    // Two threads, whatever the machine: the MLP's dense products are not bit-identical across
    // thread counts (the figures below are the same at 1, 2 and 3 threads, measured).
    result_ = run_hep2("run --device cpu --threads 2 --synth-count 400 --size 32 --epochs 4 --ae-min-steps 0 --batch 16 "
                       "--clf-epochs 40 --dropout 0.2 --out " + dir_);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string dir_;
  static Result result_;
};
std::string EndToEnd::dir_;
Result EndToEnd::result_;

TEST_F(EndToEnd, RunWritesTheWholeRunFolder) {
  ASSERT_EQ(result_.code, 0) << result_.output;
  for (const char* f : {"config.json", "ae_log.csv", "dcae.ckpt", "features.npy", "labels.npy",
                        "split.npy", "classes.json", "mlp.ckpt", "clf_log.csv", "metrics.json", "confusion.png",
                        "recon_grid.png", "loss_curve.png"})
    EXPECT_TRUE(fs::exists(dir_ + "/" + f)) << f;
  // No temporary files left behind.
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  EXPECT_NE(result_.output.find("mean class accuracy"), std::string::npos) << result_.output;
}

TEST_F(EndToEnd, LearnsAndClassifiesAboveChance) {
  ASSERT_EQ(result_.code, 0) << result_.output;
  // The reconstruction loss falls over the epochs.
  std::ifstream log(dir_ + "/ae_log.csv");
  std::string header, line;
  std::getline(log, header);
  std::vector<double> losses;
  while (std::getline(log, line)) losses.push_back(std::stod(line.substr(line.find(',') + 1)));
  ASSERT_EQ(losses.size(), 4u);
  EXPECT_LT(losses.back(), losses.front());
  // Five balanced classes: chance is 20%. The run is deterministic, so it is held to what it
  // scores: 79 of its 100 test cells (79.0% accuracy and MCA; measured 2026-12-07 at 1, 2 and 3
  // threads; other seeds of this small configuration score 65-80%). A change that costs even one
  // cell fails here; one that gains, passes. README.md's 84.6% is the main job (tools/run.sh:
  // 2000 cells, 15 epochs, 500 test cells), not this configuration.
  nlohmann::json m = read_json(dir_ + "/metrics.json");
  ASSERT_EQ(m.at("count").get<int>(), 100) << m.dump();
  EXPECT_GE(m.at("accuracy").get<double>(), 0.785) << m.dump();
  EXPECT_GE(m.at("mca").get<double>(), 0.785) << m.dump();
}

TEST_F(EndToEnd, FeatureFilesHaveTheLatentShape) {
  ASSERT_EQ(result_.code, 0) << result_.output;
  hep2::npy::Array f = hep2::npy::load(dir_ + "/features.npy");
  hep2::npy::Array l = hep2::npy::load(dir_ + "/labels.npy");
  ASSERT_EQ(f.shape.size(), 2u);
  EXPECT_EQ(f.shape[0], 400u);
  EXPECT_EQ(f.shape[1], 64u * 4 * 4);  // 32x32 input, three pooling stages, 64 channels
  EXPECT_EQ(l.shape[0], 400u);
}

TEST_F(EndToEnd, StepByStepReusesTheRunFolder) {
  ASSERT_EQ(result_.code, 0) << result_.output;
  Result ex = run_hep2("extract --device cpu --out " + dir_);
  ASSERT_EQ(ex.code, 0) << ex.output;
  Result tc = run_hep2("train-clf --device cpu --clf-epochs 5 --out " + dir_);
  ASSERT_EQ(tc.code, 0) << tc.output;
  Result ev = run_hep2("eval --device cpu --out " + dir_);
  ASSERT_EQ(ev.code, 0) << ev.output;
  EXPECT_NE(ev.output.find("accuracy"), std::string::npos);
  // classify: new images from `synth`, predictions as CSV with one row per image.
  std::string cells = temp_dir("cells");
  ASSERT_EQ(run_hep2("synth --count 12 --size 32 --seed 9 --out " + cells).code, 0);
  std::string csv = cells + "/pred.csv";
  Result cl = run_hep2("classify --device cpu --out " + dir_ + " --images " + cells +
                       "/manifest.csv --predictions " + csv);
  ASSERT_EQ(cl.code, 0) << cl.output;
  std::ifstream in(csv);
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 13);  // header + 12 cells
  fs::remove_all(cells);
}

// train-clf on a run folder keeps the run's classifier settings unless a flag says otherwise.
TEST_F(EndToEnd, TrainClfKeepsTheRunsSettingsUnlessAFlagIsGiven) {
  ASSERT_EQ(result_.code, 0) << result_.output;
  auto dropout_of_mlp = [&] {
    return hep2::load_checkpoint(dir_ + "/mlp.ckpt").header.at("config").at("dropout").get<double>();
  };
  EXPECT_NEAR(dropout_of_mlp(), 0.2, 1e-6);
  Result kept = run_hep2("train-clf --device cpu --clf-epochs 2 --out " + dir_);
  ASSERT_EQ(kept.code, 0) << kept.output;
  EXPECT_NEAR(dropout_of_mlp(), 0.2, 1e-6);
  Result changed = run_hep2("train-clf --device cpu --clf-epochs 2 --dropout 0.1 --out " + dir_);
  ASSERT_EQ(changed.code, 0) << changed.output;
  EXPECT_NEAR(dropout_of_mlp(), 0.1, 1e-6);
  auto balanced = [&] {
    return hep2::load_checkpoint(dir_ + "/mlp.ckpt").header.at("balance").get<bool>();
  };
  EXPECT_FALSE(balanced());
  Result on = run_hep2("train-clf --device cpu --clf-epochs 2 --clf-balance --out " + dir_);
  ASSERT_EQ(on.code, 0) << on.output;
  EXPECT_TRUE(balanced());
  Result stored = run_hep2("train-clf --device cpu --clf-epochs 2 --out " + dir_);
  ASSERT_EQ(stored.code, 0) << stored.output;
  EXPECT_FALSE(balanced());  // the run was made without it
  // ... and names the classes as the data does (classes.json), not class0, class1, ...
  const auto names = hep2::load_checkpoint(dir_ + "/mlp.ckpt").header.at("class_names");
  EXPECT_EQ(names, read_json(dir_ + "/metrics.json").at("classes")) << names.dump();
  EXPECT_EQ(names.at(0).get<std::string>().rfind("class", 0), std::string::npos) << names.dump();
}

// The real-data preset (--preset real: tools/presets/real.json, what tools/accuracy.sh and
// docs/accuracy.md run) runs, and its settings reach the run: a typo there would only show when a
// user runs the protocol on real data.
TEST(EndToEndPreset, RealDataPresetRunsAndIsRecorded) {
  const std::string dir = temp_dir("preset");
  // The preset, then small sizes so that it runs in seconds (flags win over the preset).
  Result run = run_hep2("run --device cpu --preset real"
                        " --synth-count 120 --size 16 --channels 4 8 --epochs 1 --ae-min-steps 0 --batch 16"
                        " --clf-epochs 2 --out " + dir);
  ASSERT_EQ(run.code, 0) << run.output;
  const nlohmann::json cfg = read_json(dir + "/config.json");
  EXPECT_EQ(cfg.at("method"), "dcae");
  EXPECT_EQ(cfg.at("features"), "stats");
  EXPECT_EQ(cfg.at("classifier"), "linear");
  EXPECT_EQ(cfg.at("clf_balance"), true);
  EXPECT_EQ(cfg.at("ae_loss"), "bce");
  EXPECT_EQ(cfg.at("dcae_ensemble"), 6);
  EXPECT_EQ(cfg.at("stats_sizes"), nlohmann::json({64, 56, 48, 40}));
  // No photometric copies: they gained on val but lost on the ID-halves split at every size.
  EXPECT_EQ(cfg.at("clf_augment"), nlohmann::json::array());
  EXPECT_TRUE(fs::exists(dir + "/dcae_m6.ckpt"));
  // The DCAE trains at --size 16 here, so it is read at the preset's sizes only, each with its
  // own classifier.
  EXPECT_TRUE(fs::exists(dir + "/mlp_px64.ckpt"));
  EXPECT_TRUE(fs::exists(dir + "/mlp_m6_px40.ckpt"));
  EXPECT_FALSE(fs::exists(dir + "/mlp_m6.ckpt"));
  EXPECT_FALSE(fs::exists(dir + "/mlp_2.ckpt"));
  fs::remove_all(dir);
}

// --features stats with --classifier linear, the real-data preset's method, end to end on
// synthetic cells: the feature file has 3 values per channel of the chosen stage, it classifies
// far above chance, and the run folder's steps (train-clf with the MLP instead, eval) work on it.
TEST(EndToEndTexture, StatsFeaturesWithTheLinearClassifier) {
  const std::string dir = temp_dir("texture");
  Result run = run_hep2("run --device cpu --threads 2 --synth-count 400 --size 32 --channels 8,16,16"
                        " --epochs 4 --ae-min-steps 0 --batch 16 --features stats --stats-stage 2 --classifier linear"
                        " --clf-balance --out " + dir);
  ASSERT_EQ(run.code, 0) << run.output;
  hep2::npy::Array f = hep2::npy::load(dir + "/features.npy");
  ASSERT_EQ(f.shape, (std::vector<size_t>{400, 48}));  // 3 x 16 channels of stage 2
  // Five classes: chance is 0.2. Held to what this deterministic run scores: 94 of 100 test cells
  // (94.0% accuracy and MCA, measured 2026-12-07 at 1, 2 and 3 threads); README.md's 95.8% is the
  // main job read this way (tools/run.sh --features stats --classifier linear --clf-balance: 2000
  // cells, 15 epochs, 500 test cells), not this configuration.
  const nlohmann::json m = read_json(dir + "/metrics.json");
  ASSERT_EQ(m.at("count").get<int>(), 100) << m.dump();
  EXPECT_GE(m.at("accuracy").get<double>(), 0.935) << m.dump();
  EXPECT_GE(m.at("mca").get<double>(), 0.935) << m.dump();
  Result mlp = run_hep2("train-clf --device cpu --classifier mlp --clf-ensemble 2 --clf-epochs 3"
                        " --out " + dir);
  ASSERT_EQ(mlp.code, 0) << mlp.output;
  EXPECT_TRUE(fs::exists(dir + "/mlp_2.ckpt"));
  Result ev = run_hep2("eval --device cpu --out " + dir);
  ASSERT_EQ(ev.code, 0) << ev.output;
  // Back to least squares: the MLP ensemble's second member and epoch log go with it.
  Result lin = run_hep2("train-clf --device cpu --classifier linear --clf-ensemble 1 --out " + dir);
  ASSERT_EQ(lin.code, 0) << lin.output;
  EXPECT_FALSE(fs::exists(dir + "/mlp_2.ckpt"));
  EXPECT_FALSE(fs::exists(dir + "/clf_log.csv"));
  Result ev2 = run_hep2("eval --device cpu --out " + dir);
  ASSERT_EQ(ev2.code, 0) << ev2.output;
  EXPECT_EQ(read_json(dir + "/metrics.json").at("confusion"), m.at("confusion"));  // deterministic
  // Settings that contradict each other name the flag to change.
  for (const auto& [args, flag] : std::vector<std::pair<std::string, std::string>>{
           {"--features stats --views 8", "--views"},
           {"--classifier linear --clf-ensemble 3", "--clf-ensemble"},
           {"--features stats --stats-stage 4", "--stats-stage"},
           {"--features texture", "--features"},
           {"--classifier svm", "--classifier"}}) {
    Result bad = run_hep2("run --device cpu --synth-count 40 " + args + " --out " + dir + "_bad");
    EXPECT_NE(bad.code, 0) << args;
    EXPECT_NE(bad.output.find(flag), std::string::npos) << args << ": " << bad.output;
  }
  // The preset's classifier flags do not bind the supervised baseline (its MLP trains end to end).
  Result sup = run_hep2("run --device cpu --synth-count 60 --size 16 --channels 4 --epochs 1 --ae-min-steps 0"
                        " --batch 16 --clf-epochs 1 --classifier linear --features stats"
                        " --method supervised --clf-ensemble 2 --out " + dir + "_sup");
  EXPECT_EQ(sup.code, 0) << sup.output;
  EXPECT_TRUE(fs::exists(dir + "_sup/supervised_2.ckpt"));
  fs::remove_all(dir + "_sup");
  fs::remove_all(dir);
}

// --clf-ensemble: every member is saved and logged, and `eval` (which loads them all back)
// reproduces the run's own figures.
TEST(EndToEndEnsemble, MembersAreSavedLoggedAndReloaded) {
  const std::string dir = temp_dir("ensemble");
  Result run = run_hep2("run --device cpu --synth-count 150 --size 16 --channels 8,16 --epochs 2 --ae-min-steps 0 "
                        "--batch 16 --clf-epochs 6 --clf-ensemble 3 --out " + dir);
  ASSERT_EQ(run.code, 0) << run.output;
  for (const char* f : {"mlp.ckpt", "mlp_2.ckpt", "mlp_3.ckpt"})
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  EXPECT_FALSE(fs::exists(dir + "/mlp_4.ckpt"));
  std::ifstream log(dir + "/clf_log.csv");
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line.rfind("member,epoch,", 0), 0u) << line;
  std::set<std::string> members;
  while (std::getline(log, line)) members.insert(line.substr(0, line.find(',')));
  EXPECT_EQ(members, (std::set<std::string>{"1", "2", "3"}));
  const nlohmann::json first = read_json(dir + "/metrics.json");
  Result ev = run_hep2("eval --device cpu --out " + dir);
  ASSERT_EQ(ev.code, 0) << ev.output;
  const nlohmann::json again = read_json(dir + "/metrics.json");
  EXPECT_EQ(first.at("confusion"), again.at("confusion"));
  // A member missing is an error naming it, not a quietly smaller ensemble.
  fs::remove(dir + "/mlp_2.ckpt");
  Result broken = run_hep2("eval --device cpu --out " + dir);
  EXPECT_NE(broken.code, 0);
  EXPECT_NE(broken.output.find("mlp_2.ckpt"), std::string::npos) << broken.output;
  fs::remove_all(dir);
}

TEST(CommandLine, BadOptionsGetOneClearLineAndNonZeroExit) {
  std::string dir = temp_dir("bad");
  for (const std::string& args :
       {std::string("run --batch 0 --out ") + dir, std::string("run --epochs -1 --out ") + dir,
        std::string("run --lr nan --out ") + dir, std::string("run --device cuda:x --out ") + dir,
        std::string("run --data /nonexistent/cells.csv --out ") + dir}) {
    Result r = run_hep2(args);
    EXPECT_NE(r.code, 0) << args;
    EXPECT_NE(r.output.find("error"), std::string::npos) << args << ": " << r.output;
  }
  Result missing = run_hep2("eval --out " + dir + "_none");
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.output.find("config.json"), std::string::npos) << missing.output;
  fs::remove_all(dir);
}

// `hep2 bench` times every phase it names, the texture features included, in its JSON.
TEST(CommandLine, BenchReportsEveryPhase) {
  const std::string dir = temp_dir("bench");
  fs::create_directories(dir);
  Result r = run_hep2("bench --device cpu --threads 1 --batch 4 --size 16 --repeats 1 --warmup 0 "
                      "--no-layers --json " + dir + "/bench.json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("texture features"), std::string::npos) << r.output;
  const nlohmann::json j = read_json(dir + "/bench.json");
  for (const char* phase : {"train", "extract", "texture_extract"})
    EXPECT_GT(j.at(phase).at("images_per_s").get<double>(), 0) << phase;
  EXPECT_GT(j.at("mlp").at("step_ms").get<double>(), 0);
  fs::remove_all(dir);
}

TEST(CommandLine, HelpListsTheSubcommands) {
  Result r = run_hep2("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* sub : {"run", "train-ae", "extract", "train-clf", "eval", "classify", "synth",
                          "info", "bench"})
    EXPECT_NE(r.output.find(sub), std::string::npos) << sub;
}

}  // namespace
