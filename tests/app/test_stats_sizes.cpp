// --stats-sizes: the trained encoder reads each cell at several input sizes, each reading with its
// own features and classifier, and the run predicts the mean of the readings' class
// probabilities. A reading at size s is exactly what a run with --stats-sizes s makes from the
// same DCAE, and every step (run, extract, train-clf, eval, classify) handles the readings' files.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hep2/io/npy.h"
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

// Synthetic cells with their own split (support/split_cells.h); a two-stage DCAE at 16 pixels,
// so the encoder reads multiples of 4.
class StatsSizes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = hep2::test::fresh_temp_dir("hep2_stats_sizes_", "root");
    cells_ = root_ + "/cells";
    ASSERT_FALSE(hep2::test::write_split_cells(cells_, 120, 16).empty());
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static std::string dcae_flags() {
    return "--device cpu --threads 1 --data " + cells_ + "/split.csv --size 16 --channels 8,16 "
           "--epochs 2 --ae-min-steps 0 --batch 16 --seed 3 --features stats";
  }
  static std::string run(const std::string& extra, const std::string& out) {
    return "run " + dcae_flags() + " --classifier linear --clf-balance " + extra + " --out " + out;
  }
  static std::string root_, cells_;
};
std::string StatsSizes::root_, StatsSizes::cells_;

TEST_F(StatsSizes, TwoSizesAreTheOneSizeRunsAveraged) {
  const std::string both = root_ + "/both", at16 = root_ + "/at16", at12 = root_ + "/at12";
  Result r = run_hep2(run("--stats-sizes 16,12", both));
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(run_hep2(run("--stats-sizes 16", at16)).code, 0);
  ASSERT_EQ(run_hep2(run("--stats-sizes 12", at12)).code, 0);

  // One DCAE, trained at --size as always; each reading's features and classifier are those of
  // the run that reads at that size alone.
  EXPECT_TRUE(same_parameters(both + "/dcae.ckpt", at12 + "/dcae.ckpt"));
  const std::vector<float> f16 = hep2::npy::load(both + "/features.npy").to_f32();
  const std::vector<float> f12 = hep2::npy::load(both + "/features_px12.npy").to_f32();
  EXPECT_EQ(f16, hep2::npy::load(at16 + "/features.npy").to_f32());
  EXPECT_EQ(f12, hep2::npy::load(at12 + "/features_px12.npy").to_f32());
  ASSERT_EQ(f16.size(), f12.size());  // 3 statistics x 16 channels per cell at either size
  EXPECT_NE(f16, f12);
  EXPECT_TRUE(same_parameters(both + "/mlp_px12.ckpt", at12 + "/mlp_px12.ckpt"));
  EXPECT_FALSE(fs::exists(at12 + "/features.npy"));  // the size read is the only one written
  EXPECT_TRUE(fs::exists(at12 + "/labels.npy"));
  EXPECT_EQ(read_json(both + "/config.json").at("stats_sizes"), nlohmann::json({16, 12}));

  // metrics.json: each reading alone scores what the run at that size alone scores.
  const nlohmann::json readings = read_json(both + "/metrics.json").at("readings");
  ASSERT_EQ(readings.size(), 2u);
  EXPECT_EQ(readings[0].at("size"), 16);
  EXPECT_EQ(readings[1].at("size"), 12);
  EXPECT_EQ(readings[0].at("mca"), read_json(at16 + "/metrics.json").at("mca"));
  EXPECT_EQ(readings[1].at("mca"), read_json(at12 + "/metrics.json").at("mca"));
  EXPECT_EQ(readings[1].at("accuracy"), read_json(at12 + "/metrics.json").at("accuracy"));
  EXPECT_FALSE(read_json(both + "/metrics.json").contains("members"));  // one DCAE
  EXPECT_FALSE(read_json(at12 + "/metrics.json").contains("readings"));  // one reading

  // classify: the mean of the two readings' probabilities, in reading order.
  hep2::test::expect_mean_predictions(both, at16, at12, cells_ + "/manifest.csv", 120, 5);

  // A reading's classifier missing is an error naming its file.
  fs::remove(both + "/mlp_px12.ckpt");
  Result broken = run_hep2("eval --device cpu --out " + both);
  EXPECT_NE(broken.code, 0);
  EXPECT_NE(broken.output.find("mlp_px12.ckpt"), std::string::npos) << broken.output;
}

TEST_F(StatsSizes, StepByStepWritesAndReadsEveryReadingOfEveryMember) {
  const std::string dir = root_ + "/steps", whole = root_ + "/whole";
  const std::string sizes = " --stats-sizes 16,8 --dcae-ensemble 2";
  ASSERT_EQ(run_hep2(run(sizes, whole)).code, 0);
  ASSERT_EQ(run_hep2("train-ae " + dcae_flags() + sizes + " --out " + dir).code, 0);
  Result x = run_hep2("extract --device cpu --out " + dir);
  ASSERT_EQ(x.code, 0) << x.output;
  EXPECT_NE(x.output.find("features_m2_px8.npy"), std::string::npos) << x.output;
  Result c = run_hep2("train-clf --device cpu --classifier linear --clf-balance --out " + dir);
  ASSERT_EQ(c.code, 0) << c.output;
  EXPECT_NE(c.output.find("mlp_m2_px8.ckpt"), std::string::npos) << c.output;
  Result e = run_hep2("eval --device cpu --out " + dir);
  ASSERT_EQ(e.code, 0) << e.output;
  for (const char* f : {"features_px8.npy", "features_m2.npy", "features_m2_px8.npy"})
    EXPECT_EQ(hep2::npy::load(dir + "/" + f).to_f32(), hep2::npy::load(whole + "/" + f).to_f32())
        << f;
  EXPECT_EQ(read_json(dir + "/metrics.json").at("confusion"),
            read_json(whole + "/metrics.json").at("confusion"));
  // Each DCAE alone means that DCAE with all its readings.
  EXPECT_EQ(read_json(dir + "/metrics.json").at("members"),
            read_json(whole + "/metrics.json").at("members"));
  const nlohmann::json readings = read_json(dir + "/metrics.json").at("readings");
  EXPECT_EQ(readings, read_json(whole + "/metrics.json").at("readings"));
  ASSERT_EQ(readings.size(), 4u);  // member by member, reading by reading
  EXPECT_EQ(readings[2].at("member"), 2);
  EXPECT_EQ(readings[2].at("size"), 16);
  EXPECT_EQ(readings[3].at("size"), 8);

  // test_probabilities.npy: what was scored, [members, readings, rows, classes]; its mean over
  // members and readings, argmax, gives the accuracy metrics.json reports.
  const hep2::npy::Array pa = hep2::npy::load(dir + "/test_probabilities.npy");
  const std::vector<int32_t> truth = hep2::npy::load(dir + "/test_labels.npy").to_i32();
  const std::vector<int32_t> rows = hep2::npy::load(dir + "/test_rows.npy").to_i32();
  const std::vector<int32_t> labels = hep2::npy::load(dir + "/labels.npy").to_i32();
  ASSERT_EQ(pa.shape.size(), 4u);
  const size_t n = truth.size(), k = pa.shape[3];
  EXPECT_EQ(pa.shape[0], 2u);
  EXPECT_EQ(pa.shape[1], 2u);
  ASSERT_EQ(pa.shape[2], n);
  ASSERT_EQ(rows.size(), n);
  const std::vector<float> p = pa.to_f32();
  int correct = 0;
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(labels.at(size_t(rows[i])), truth[i]) << i;
    std::vector<double> mean(k, 0.0);
    for (size_t t = 0; t < 4; ++t)  // member x reading
      for (size_t j = 0; j < k; ++j) mean[j] += p[(t * n + i) * k + j];
    correct += int(std::max_element(mean.begin(), mean.end()) - mean.begin()) == truth[i];
  }
  EXPECT_DOUBLE_EQ(double(correct) / double(n),
                   read_json(dir + "/metrics.json").at("accuracy").get<double>());
}

TEST_F(StatsSizes, RefusesSizesTheEncoderCannotRead) {
  const std::string out = root_ + "/refused";
  Result odd = run_hep2(run("--stats-sizes 16,14", out));
  EXPECT_NE(odd.code, 0);
  EXPECT_NE(odd.output.find("--stats-sizes: 14 is not a size the encoder can read: use multiples of 4"),
            std::string::npos)
      << odd.output;
  Result twice = run_hep2(run("--stats-sizes 16,16", out));
  EXPECT_NE(twice.code, 0);
  EXPECT_NE(twice.output.find("16 is given twice"), std::string::npos) << twice.output;
  Result latent = run_hep2("run --device cpu --data " + cells_ +
                           "/split.csv --size 16 --channels 8,16 --stats-sizes 16,8 --out " + out);
  EXPECT_NE(latent.code, 0);
  EXPECT_NE(latent.output.find("--stats-sizes: needs --features stats"), std::string::npos)
      << latent.output;
  EXPECT_FALSE(fs::exists(out + "/dcae.ckpt"));
}

}  // namespace
