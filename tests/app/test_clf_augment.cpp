// Feature augmentation through the binary: --clf-augment adds photometric copies of the labelled
// cells to the classifier's rows (metrics.json counts them), `train-clf` makes the same copies
// again from the run's cells and DCAE (the same classifier, bit for bit), and the option is
// refused where it has no meaning.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "support/run_folder.h"
#include "support/run_hep2.h"

namespace fs = std::filesystem;

namespace {

using hep2::test::read_json;
using hep2::test::Result;
using hep2::test::run_hep2;

std::string bytes_of(const std::string& file) {
  std::ifstream f(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

const std::string kRun =
    "--device cpu --threads 1 --synth-count 200 --size 16 --channels 4,8 --epochs 1 --ae-min-steps 0 --batch 16 "
    "--seed 3 --features stats --classifier linear --clf-ridge 0";

TEST(ClfAugment, CopiesJoinTheLinearClassifierAndTrainClfMakesThemAgain) {
  const std::string dir = hep2::test::fresh_temp_dir("hep2_augment_", "run");
  Result r = run_hep2("run " + kRun + " --train-cells 60 --clf-augment gamma2 blur1 --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json t = read_json(dir + "/metrics.json").at("training");
  const size_t labelled = t.at("labelled_cells");
  ASSERT_EQ(t.at("classifiers").size(), 1u);
  EXPECT_EQ(t.at("classifiers")[0].at("copied_rows").get<size_t>(), 2 * labelled);
  EXPECT_NE(
      r.output.find(std::to_string(3 * labelled) + " training rows (" +
                    std::to_string(2 * labelled) + " of them photometric copies: gamma2, blur1)"),
      std::string::npos)
      << r.output;
  EXPECT_EQ(read_json(dir + "/config.json").at("clf_augment"), nlohmann::json({"gamma2", "blur1"}));
  EXPECT_EQ(r.output.find("note: the MLP"), std::string::npos) << r.output;  // the preset's reading

  // train-clf reads the cells again through the run's DCAE: the same copies, the same classifier.
  const std::string before = bytes_of(dir + "/mlp.ckpt");
  ASSERT_FALSE(before.empty());
  Result again = run_hep2("train-clf --device cpu --threads 1 --out " + dir);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(bytes_of(dir + "/mlp.ckpt"), before);
  // Another change gives another classifier, from as many copies as it names.
  Result other =
      run_hep2("train-clf --device cpu --threads 1 --clf-augment gamma1.5+blur0.7 --out " + dir);
  ASSERT_EQ(other.code, 0) << other.output;
  EXPECT_NE(
      other.output.find(std::to_string(labelled) + " of them photometric copies: gamma1.5+blur0.7"),
      std::string::npos)
      << other.output;
  EXPECT_NE(bytes_of(dir + "/mlp.ckpt"), before);
  fs::remove_all(dir);
}

// --clf-augment-below N: the copies only while the labelled cells are fewer than N.
TEST(ClfAugment, OnlyBelowTheGivenNumberOfLabelledCells) {
  const std::string dir = hep2::test::fresh_temp_dir("hep2_augment_", "below");
  Result many = run_hep2("run " + kRun + " --train-cells 60 --clf-augment gamma2 --clf-augment-below 50 --out " + dir);
  ASSERT_EQ(many.code, 0) << many.output;
  const nlohmann::json t = read_json(dir + "/metrics.json").at("training");
  const size_t labelled = t.at("labelled_cells");
  ASSERT_GE(labelled, 50u);
  EXPECT_EQ(t.at("classifiers")[0].at("copied_rows"), 0);
  EXPECT_NE(many.output.find("no photometric copies: " + std::to_string(labelled) +
                             " labelled cells, at least --clf-augment-below 50"),
            std::string::npos)
      << many.output;
  Result few = run_hep2("train-clf --device cpu --threads 1 --clf-augment-below " +
                        std::to_string(labelled + 1) + " --out " + dir);
  ASSERT_EQ(few.code, 0) << few.output;
  EXPECT_NE(few.output.find(std::to_string(labelled) + " of them photometric copies: gamma2"),
            std::string::npos)
      << few.output;
  fs::remove_all(dir);
}

// The paper's MLP learns from the copies too: each member from the copies of the cells it fits,
// not of those it stops on.
TEST(ClfAugment, TheMlpLearnsFromTheCopiesOfTheCellsItFits) {
  const std::string dir = hep2::test::fresh_temp_dir("hep2_augment_", "mlp");
  Result r = run_hep2(
      "run --device cpu --threads 1 --synth-count 200 --size 16 --channels 4,8 --epochs 1 --ae-min-steps 0 "
      "--batch 16 --seed 3 --holdout random --clf-epochs 3 --clf-ensemble 2 --train-cells 60 "
      "--clf-augment gamma2 --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json t = read_json(dir + "/metrics.json").at("training");
  ASSERT_EQ(t.at("classifiers").size(), 2u);
  for (const nlohmann::json& c : t.at("classifiers")) {
    EXPECT_GT(c.at("validation_cells").get<size_t>(), 0u);
    EXPECT_EQ(c.at("copied_rows"), c.at("cells"));
  }
  EXPECT_NE(r.output.find("also learning from photometric copies (gamma2)"), std::string::npos)
      << r.output;
  fs::remove_all(dir);
}

TEST(ClfAugment, RefusedForTheHybridOrWithAnUnknownChange) {
  const std::string dir = hep2::test::fresh_temp_dir("hep2_augment_", "bad");
  // (The supervised baseline ignores the classifier's options, so the preset combines with it.)
  Result hybrid =
      run_hep2("run --device cpu --synth-count 100 --method hybrid --clf-augment gamma2 --out " + dir);
  EXPECT_EQ(hybrid.code, 1) << hybrid.output;
  EXPECT_NE(hybrid.output.find("--clf-augment"), std::string::npos) << hybrid.output;
  EXPECT_NE(hybrid.output.find("needs --method dcae"), std::string::npos) << hybrid.output;
  Result typo = run_hep2("run " + kRun + " --clf-augment gama2 --out " + dir);
  EXPECT_EQ(typo.code, 1) << typo.output;
  EXPECT_NE(typo.output.find("gammaG"), std::string::npos) << typo.output;
  fs::remove_all(dir);
}

}  // namespace
