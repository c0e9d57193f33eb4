// What README.md promises about stopping, through the hep2 binary: Ctrl-C (SIGINT) or SIGTERM
// during DCAE training saves the exact position and exits with 130; `--resume` (of train-ae and
// of run) then finishes with the same bits as a run never interrupted; and the last three
// checkpoints are kept. Small synthetic runs, a few seconds each.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "hep2/io/npy.h"
#include "hep2/pipeline/checkpoint.h"
#include "support/run_folder.h"
#include "support/run_hep2.h"

namespace fs = std::filesystem;

namespace {

using hep2::test::read_json;
using hep2::test::Result;
using hep2::test::run_hep2;
using hep2::test::same_checkpoint_state;

std::string temp_dir(const std::string& name) {
  return hep2::test::fresh_temp_dir("hep2_signal_", name);
}

// 160 synthetic cells of 32 pixels and a small DCAE (8 and 16 channels): 120 training cells at
// batch 16, 8 steps and about 20 ms per epoch on one thread (0.5 s under the sanitizers). Thirty
// epochs leave the signal, sent once the first epoch's checkpoint is written, about half a second
// to land in (it lands at the end of epoch 1 or early in epoch 2: both are positions to save
// exactly), while each test stays a few seconds (about a minute under the sanitizers, where the
// default DCAE at this size took almost three).
const std::string kData = "--device cpu --threads 1 --synth-count 160 --size 32 --channels 8,16 "
                          "--batch 16 --epochs 30 --ae-min-steps 0 --seed 4";
constexpr int kEpochs = 30;

// Starts `hep2 <args> --out dir`, sends `sig` once the first epoch's checkpoint is written (its
// ae_log.csv appears), and waits for the process.
Result interrupt_after_first_epoch(const std::string& args, const std::string& dir, int sig) {
  fs::create_directories(fs::path(dir).parent_path());
  const std::string log = dir + ".log";
  const pid_t pid = hep2::test::start_hep2(args + " --out " + dir, log);
  if (pid <= 0) return {-1, "could not start hep2"};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(dir + "/ae_log.csv")) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      std::ifstream f(log);
      std::stringstream out;
      out << f.rdbuf();
      return {-1, "hep2 ended before its first checkpoint:\n" + out.str()};
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      hep2::test::wait_hep2(pid, log);
      return {-1, "no checkpoint after 120 s"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, sig);
  Result r = hep2::test::wait_hep2(pid, log);
  fs::remove(log);
  return r;
}

// The checkpoint says where training stood, and the optimiser's step count agrees with it.
struct Position {
  int epoch = 0;
  size_t step = 0;
  long optimizer_steps = 0;
};
Position position_of(const std::string& ckpt) {
  const hep2::Checkpoint c = hep2::load_checkpoint(ckpt);
  return {c.header.at("train_state").at("epoch").get<int>(),
          c.header.at("train_state").at("step").get<size_t>(),
          c.header.at("optimizer_steps").get<long>()};
}

// What a resumed run says when it continues from that position.
std::string resuming_at(const Position& p) {
  return "resuming at epoch " + std::to_string(p.epoch) + ", step " + std::to_string(p.step);
}

// SIGINT (Ctrl-C) in train-ae: exit 130, a checkpoint at the step where it stopped, and
// --resume finishes with the bits of the run never interrupted.
TEST(Signals, SigintSavesThePositionAndResumeFinishesBitIdentically) {
  const std::string straight = temp_dir("straight"), stopped = temp_dir("sigint");
  Result s = run_hep2("train-ae " + kData + " --out " + straight);
  ASSERT_EQ(s.code, 0) << s.output;
  const Position end = position_of(straight + "/dcae.ckpt");
  ASSERT_EQ(end.epoch, kEpochs + 1);  // finished
  ASSERT_EQ(end.optimizer_steps % kEpochs, 0);
  const long steps_per_epoch = end.optimizer_steps / kEpochs;

  Result r = interrupt_after_first_epoch("train-ae " + kData, stopped, SIGINT);
  ASSERT_EQ(r.code, 130) << r.output;
  // The position it names is the one saved, and the optimiser's step count matches it exactly.
  // (No std::regex: GCC 12 warns inside it at -O1 with the sanitizers, and warnings are errors.)
  const size_t said = r.output.find("stopped at epoch ");
  ASSERT_NE(said, std::string::npos) << r.output;
  int epoch = 0;
  unsigned long step = 0;
  ASSERT_EQ(std::sscanf(r.output.c_str() + said, "stopped at epoch %d, step %lu", &epoch, &step), 2)
      << r.output;
  const Position at = position_of(stopped + "/dcae.ckpt");
  EXPECT_EQ(epoch, at.epoch);
  EXPECT_EQ(step, at.step);
  EXPECT_GE(at.epoch, 2);  // after the first epoch's checkpoint ...
  EXPECT_LE(at.epoch, kEpochs);  // ... and before the end
  EXPECT_EQ(at.optimizer_steps, (at.epoch - 1) * steps_per_epoch + long(at.step));
  EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;

  Result resumed = run_hep2("train-ae --device cpu --threads 1 --resume --out " + stopped);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  // It continued from there (a restart from scratch would end with the same bits too).
  EXPECT_NE(resumed.output.find(resuming_at(at)), std::string::npos) << resumed.output;
  EXPECT_TRUE(same_checkpoint_state(straight + "/dcae.ckpt", stopped + "/dcae.ckpt"));
  const auto history = [](const std::string& f) {
    nlohmann::json h = hep2::load_checkpoint(f).header.at("train_state").at("history");
    std::vector<double> losses;
    for (const auto& e : h) losses.push_back(e.at("loss").get<double>());
    return losses;
  };
  EXPECT_EQ(history(straight + "/dcae.ckpt"), history(stopped + "/dcae.ckpt"));
  fs::remove_all(straight);
  fs::remove_all(stopped);
}

// SIGTERM (what a batch scheduler sends) in `hep2 run`, then `hep2 run --resume`: the whole run
// (DCAE, features, classifier, figures) comes out as the run never interrupted.
TEST(Signals, SigtermThenRunResumeGivesTheUninterruptedRun) {
  const std::string straight = temp_dir("run_straight"), stopped = temp_dir("sigterm");
  const std::string run = "run " + kData + " --clf-epochs 5";
  Result s = run_hep2(run + " --out " + straight);
  ASSERT_EQ(s.code, 0) << s.output;

  Result r = interrupt_after_first_epoch(run, stopped, SIGTERM);
  ASSERT_EQ(r.code, 130) << r.output;
  EXPECT_NE(r.output.find("hep2 run --resume --out " + stopped), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(stopped + "/metrics.json"));  // stopped before the classifier
  const Position at = position_of(stopped + "/dcae.ckpt");
  EXPECT_GE(at.epoch, 2);
  EXPECT_LE(at.epoch, kEpochs);

  Result resumed = run_hep2("run --device cpu --threads 1 --resume --out " + stopped);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find(resuming_at(at)), std::string::npos) << resumed.output;
  EXPECT_TRUE(same_checkpoint_state(straight + "/dcae.ckpt", stopped + "/dcae.ckpt"));
  EXPECT_TRUE(same_checkpoint_state(straight + "/mlp.ckpt", stopped + "/mlp.ckpt"));
  EXPECT_EQ(hep2::npy::load(straight + "/features.npy").to_f32(),
            hep2::npy::load(stopped + "/features.npy").to_f32());
  const nlohmann::json a = read_json(straight + "/metrics.json"), b = read_json(stopped + "/metrics.json");
  for (const char* key : {"accuracy", "mca", "confusion"}) EXPECT_EQ(a.at(key), b.at(key)) << key;
  fs::remove_all(straight);
  fs::remove_all(stopped);
}

// A checkpoint per epoch; the newest three stay (dcae.ckpt, .1, .2: the last three epochs'), no
// more.
TEST(Signals, TheLastThreeCheckpointsAreKept) {
  const std::string dir = temp_dir("rotation");
  Result r = run_hep2("train-ae --device cpu --threads 1 --synth-count 40 --size 16 --channels 4 "
                      "--batch 16 --epochs 5 --ae-min-steps 0 --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  std::set<std::string> checkpoints;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("dcae.ckpt", 0) == 0)
      checkpoints.insert(e.path().filename().string());
  EXPECT_EQ(checkpoints, (std::set<std::string>{"dcae.ckpt", "dcae.ckpt.1", "dcae.ckpt.2"}));
  // Newest first: the checkpoints after epochs 5, 4 and 3.
  EXPECT_EQ(position_of(dir + "/dcae.ckpt").epoch, 6);
  EXPECT_EQ(position_of(dir + "/dcae.ckpt.1").epoch, 5);
  EXPECT_EQ(position_of(dir + "/dcae.ckpt.2").epoch, 4);
  fs::remove_all(dir);
}

}  // namespace
