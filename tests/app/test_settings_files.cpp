// Settings from files, through the binary: a run's config.json given back as --config repeats the
// run bit for bit (and flags still win over it), every run of `cv` leaves a complete run folder
// that `classify` can use, and bad settings files are refused with one line naming the file or
// key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "hep2/io/npy.h"
#include "support/run_folder.h"
#include "support/run_hep2.h"

namespace fs = std::filesystem;

namespace {

using hep2::test::Result;
using hep2::test::read_json;
using hep2::test::run_hep2;

std::string temp_dir(const std::string& name) {
  return hep2::test::fresh_temp_dir("hep2_settings_", name);
}

std::string bytes_of(const std::string& file) {
  std::ifstream f(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

const std::string kSmall =
    "--device cpu --threads 1 --synth-count 120 --size 16 --channels 4,8 --epochs 1 --ae-min-steps 0 --batch 16 "
    "--features stats --classifier linear --clf-balance --seed 5";

TEST(SettingsFiles, ARunsConfigRepeatsItAndFlagsStillWin) {
  const std::string a = temp_dir("a"), b = temp_dir("b"), c = temp_dir("c");
  Result ra = run_hep2("run " + kSmall + " --out " + a);
  ASSERT_EQ(ra.code, 0) << ra.output;
  Result rb = run_hep2("run --device cpu --threads 1 --config " + a + "/config.json --out " + b);
  ASSERT_EQ(rb.code, 0) << rb.output;
  nlohmann::json ca = read_json(a + "/config.json"), cb = read_json(b + "/config.json");
  for (const char* k : {"out", "peak_device_bytes"}) {
    ca.erase(k);
    cb.erase(k);
  }
  EXPECT_EQ(ca, cb);
  EXPECT_EQ(bytes_of(a + "/features.npy"), bytes_of(b + "/features.npy"));
  EXPECT_EQ(read_json(a + "/metrics.json").at("confusion"), read_json(b + "/metrics.json").at("confusion"));
  // A flag given beside --config wins over the file.
  Result rc = run_hep2("run --device cpu --threads 1 --config " + a + "/config.json --seed 6 --out " + c);
  ASSERT_EQ(rc.code, 0) << rc.output;
  EXPECT_EQ(read_json(c + "/config.json").at("seed"), 6);
  EXPECT_EQ(read_json(c + "/config.json").at("features"), "stats");
  EXPECT_NE(bytes_of(a + "/features.npy"), bytes_of(c + "/features.npy"));
  for (const std::string& d : {a, b, c}) fs::remove_all(d);
}

TEST(SettingsFiles, EachRunOfTheProtocolIsACompleteRunFolder) {
  const std::string dir = temp_dir("cv"), cells = temp_dir("cv_cells");
  Result r = run_hep2("cv " + kSmall + " --folds 2 --seeds 5,9 --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(run_hep2("synth --count 6 --size 16 --seed 2 --out " + cells).code, 0);
  const nlohmann::json p = read_json(dir + "/protocol.json");
  ASSERT_EQ(p.at("runs").size(), 4u);
  // Each class's recall over the runs (where the errors are), the mean of the runs' own.
  const nlohmann::json& recall = p.at("per_class_recall");
  ASSERT_EQ(recall.size(), 5u);
  const std::string first_class =
      read_json(p.at("runs").at(0).at("folder").get<std::string>() + "/metrics.json").at("classes").at(0);
  double sum = 0;
  for (const auto& run : p.at("runs")) sum += run.at("per_class_recall").at(0).get<double>();
  EXPECT_NEAR(recall.at(first_class).at("mean").get<double>(), sum / 4, 1e-12);
  for (const auto& run : p.at("runs")) {
    const std::string folder = run.at("folder");
    SCOPED_TRACE(folder);
    const nlohmann::json cfg = read_json(folder + "/config.json");
    EXPECT_EQ(cfg.at("seed"), run.at("seed"));
    EXPECT_EQ(cfg.at("features"), "stats");
    // `classify` uses the model this run trained.
    Result c = run_hep2("classify --device cpu --out " + folder + " --images " + cells +
                        " --predictions " + folder + "/p.json");
    ASSERT_EQ(c.code, 0) << c.output;
    EXPECT_EQ(read_json(folder + "/p.json").at("predictions").size(), 6u);
  }
  fs::remove_all(dir);
  fs::remove_all(cells);
}

void expect_refused(const Result& r, const std::vector<std::string>& parts) {
  EXPECT_EQ(r.code, 1) << r.output;
  for (const std::string& p : parts) EXPECT_NE(r.output.find(p), std::string::npos) << p << "\n" << r.output;
}

TEST(SettingsFiles, BadSettingsFilesAreRefusedNamingTheFileOrKey) {
  const std::string dir = temp_dir("bad");
  fs::create_directories(dir);
  const std::string run = "run --device cpu --out " + dir + "/run ";
  expect_refused(run_hep2(run + "--config " + dir + "/none.json"),
                 {dir + "/none.json", "does not exist"});
  std::ofstream(dir + "/typo.json") << R"({"epochs": 1, "dcae_ensemlbe": 2})";
  expect_refused(run_hep2(run + "--config " + dir + "/typo.json"),
                 {dir + "/typo.json", "\"dcae_ensemlbe\" is not a hep2 setting"});
  std::ofstream(dir + "/broken.json") << R"({"epochs": 1,)";
  expect_refused(run_hep2(run + "--config " + dir + "/broken.json"), {dir + "/broken.json", "not valid JSON"});
  std::ofstream(dir + "/range.json") << R"({"dcae_ensemble": 40})";
  expect_refused(run_hep2(run + "--config " + dir + "/range.json"),
                 {"option --dcae-ensemble: must be in 1..20"});
  expect_refused(run_hep2(run + "--preset realistic"), {"--preset realistic", "paper, real"});
  expect_refused(run_hep2(run + "--ae-loss l1"), {"option --ae-loss: must be mse or bce (not 'l1')"});
  EXPECT_FALSE(fs::exists(dir + "/run"));
  fs::remove_all(dir);
}

}  // namespace
