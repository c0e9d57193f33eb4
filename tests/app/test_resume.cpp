// Nothing lost on a stop: training stopped mid-epoch and resumed gives bit-identical parameters
// and optimiser state to training straight through, and a process killed (SIGKILL) while writing
// a checkpoint leaves the previous checkpoint loadable.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <tuple>

#include "hep2/core/error.h"
#include "hep2/pipeline/checkpoint.h"
#include "support/run_hep2.h"

namespace fs = std::filesystem;

namespace {

int run_hep2(const std::string& args, std::string* output) {
  hep2::test::Result r = hep2::test::run_hep2(args);
  *output = r.output;
  return r.code;
}

std::string temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("hep2_resume_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  return d.string();
}

TEST(Resume, StopAndResumeIsBitIdenticalToStraightTraining) {
  const std::string common =
      "train-ae --device cpu --threads 2 --synth-count 120 --size 32 --epochs 3 --ae-min-steps 0 --batch 16 ";
  std::string a = temp_dir("a"), b = temp_dir("b"), out;
  ASSERT_EQ(run_hep2(common + "--out " + a, &out), 0) << out;
  // 96 training cells at batch 16: 6 steps per epoch; stop inside epoch 2.
  ASSERT_EQ(run_hep2(common + "--stop-after-steps 8 --out " + b, &out), 0) << out;
  EXPECT_NE(out.find("--resume"), std::string::npos) << out;
  hep2::Checkpoint mid = hep2::load_checkpoint(b + "/dcae.ckpt");
  EXPECT_EQ(mid.header.at("train_state").at("epoch"), 2);
  EXPECT_EQ(mid.header.at("train_state").at("step"), 2u);
  ASSERT_EQ(run_hep2("train-ae --device cpu --threads 2 --resume --out " + b, &out), 0) << out;

  hep2::Checkpoint straight = hep2::load_checkpoint(a + "/dcae.ckpt");
  hep2::Checkpoint resumed = hep2::load_checkpoint(b + "/dcae.ckpt");
  ASSERT_EQ(straight.values.size(), resumed.values.size());
  EXPECT_EQ(std::memcmp(straight.values.data(), resumed.values.data(),
                        straight.values.size() * sizeof(float)),
            0);
  EXPECT_EQ(straight.header.at("optimizer_steps"), resumed.header.at("optimizer_steps"));
  EXPECT_EQ(straight.header.at("train_state").at("history").size(), 3u);
  // The per-epoch losses agree too (the partial epoch's losses were carried over).
  for (int e = 0; e < 3; ++e)
    EXPECT_EQ(straight.header["train_state"]["history"][e]["loss"],
              resumed.header["train_state"]["history"][e]["loss"]);
  // Older checkpoints are kept (the last 3).
  EXPECT_TRUE(fs::exists(b + "/dcae.ckpt.1"));
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(Resume, KillDuringCheckpointWriteKeepsThePreviousOne) {
  std::string dir = temp_dir("kill");
  fs::create_directories(dir);
  std::string file = dir + "/model.ckpt";
  hep2::Checkpoint first;
  first.header = {{"kind", "test"}, {"generation", 0}};
  first.values.assign(1000, 1.5f);
  hep2::save_checkpoint(file, first);

  for (int round = 0; round < 5; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Child: rewrite a large checkpoint forever; it is killed in the middle of some write.
      hep2::Checkpoint big;
      big.values.assign(size_t(16) << 20, 2.5f);
      for (int g = 1;; ++g) {
        big.header = {{"kind", "test"}, {"generation", g}};
        hep2::save_checkpoint(file, big);
      }
    }
    usleep(useconds_t(30000 + 37000 * round));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    // Whatever generation it reached, the file is a complete, valid checkpoint.
    hep2::Checkpoint c = hep2::load_checkpoint(file);
    EXPECT_EQ(c.header.at("kind"), "test");
    EXPECT_TRUE(c.values.size() == 1000 || c.values.size() == (size_t(16) << 20));
  }
  fs::remove_all(dir);
}

TEST(Resume, CorruptOrForeignCheckpointsAreRefusedClearly) {
  std::string dir = temp_dir("bad");
  fs::create_directories(dir);
  hep2::Checkpoint c;
  c.header = {{"kind", "dcae"}};
  c.values.assign(100, 0.25f);
  std::string file = dir + "/x.ckpt";
  hep2::save_checkpoint(file, c);
  std::string bytes;
  {
    FILE* f = fopen(file.c_str(), "rb");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, n);
    fclose(f);
  }
  auto write = [&](const std::string& name, const std::string& data) {
    FILE* f = fopen((dir + "/" + name).c_str(), "wb");
    fwrite(data.data(), 1, data.size(), f);
    fclose(f);
    return dir + "/" + name;
  };
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  std::string wrong_version = bytes;
  wrong_version[8] = 99;
  for (const auto& [name, data, expect] :
       {std::tuple<std::string, std::string, std::string>{"trunc.ckpt", bytes.substr(0, bytes.size() - 9), "truncated"},
        {"flip.ckpt", flipped, "checksum"},
        {"foreign.ckpt", "PK\x03\x04 not a checkpoint at all", "magic"},
        {"version.ckpt", wrong_version, "version"},
        {"empty.ckpt", "", "magic"}}) {
    std::string path = write(name, data);
    try {
      hep2::load_checkpoint(path);
      ADD_FAILURE() << name << " was accepted";
    } catch (const hep2::Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
    }
  }
  fs::remove_all(dir);
}

}  // namespace
