// Small labelled sets, through the binary: --train-cells keeps whole specimens and the DCAE then
// learns from those cells only, --unlabeled train gives it the rest of the training cells without
// their labels, --unlabeled PATH cells from elsewhere (never the test cells unless
// --transductive), --ae-min-steps lengthens training on small data, train-clf takes a subset of
// an existing run's cells, --clf-self-train pseudo-labels the unlabelled training, PATH or (only
// with --transductive) test cells, and metrics.json says what each part trained on and how it stopped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/run_folder.h"
#include "support/run_hep2.h"

namespace fs = std::filesystem;

namespace {

using hep2::test::Result;
using hep2::test::read_json;
using hep2::test::run_hep2;

std::string temp_dir(const std::string& name) {
  return hep2::test::fresh_temp_dir("hep2_small_", name);
}

size_t lines_of(const std::string& file) {
  std::ifstream f(file);
  size_t n = 0;
  for (std::string line; std::getline(f, line);) ++n;
  return n;
}

const std::string kSmall =
    "--device cpu --threads 1 --synth-count 200 --size 16 --channels 4,8 --epochs 1 --ae-min-steps 0 --batch 16 "
    "--clf-epochs 3 --seed 2";

TEST(SmallData, TrainCellsTrainsDcaeAndClassifierOnTheSubset) {
  const std::string dir = temp_dir("subset");
  Result r = run_hep2("run " + kSmall + " --train-cells 60 --ae-min-steps 20 --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json t = read_json(dir + "/metrics.json").at("training");
  const size_t labelled = t.at("labelled_cells");
  // Whole specimens (5 cells each here), each of the 5 classes its share of 60 (12), the last
  // specimen whole: 60 to 80 cells.
  EXPECT_GE(labelled, 60u);
  EXPECT_LE(labelled, 80u);
  EXPECT_EQ(t.at("unlabelled_cells"), 0);
  ASSERT_EQ(t.at("dcae").size(), 1u);
  EXPECT_EQ(t.at("dcae")[0].at("cells"), labelled);
  // --ae-min-steps 20 with 4 steps an epoch (batch 16): 5 epochs, not --epochs 1.
  const size_t per_epoch = (labelled + 15) / 16;
  const size_t epochs = (20 + per_epoch - 1) / per_epoch;
  EXPECT_EQ(t.at("dcae")[0].at("epochs"), epochs);
  EXPECT_EQ(t.at("dcae")[0].at("steps"), epochs * per_epoch);
  EXPECT_EQ(lines_of(dir + "/ae_log.csv"), epochs + 1);
  ASSERT_EQ(t.at("classifiers").size(), 1u);
  const nlohmann::json& c = t.at("classifiers")[0];
  EXPECT_EQ(c.at("cells").get<size_t>() + c.at("validation_cells").get<size_t>(), labelled);
  // A few dozen cells leave one or two specimens to hold out: no early stopping, said so.
  EXPECT_NE(c.at("stopping").get<std::string>().find("no early stopping"), std::string::npos) << c;
  EXPECT_NE(r.output.find("no early stopping: the hold-out would rest on"), std::string::npos) << r.output;
  // The paper's MLP on few labelled cells: the run points to what did better, once.
  const std::string note = "note: the MLP on the latent learns from " + std::to_string(labelled) +
                           " labelled cells; below 2000, --preset real scored far higher";
  EXPECT_NE(r.output.find(note), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("note: the MLP", r.output.find(note) + 1), std::string::npos);
  EXPECT_EQ(read_json(dir + "/config.json").at("train_cells"), 60);
  fs::remove_all(dir);
}

TEST(SmallData, UnlabelledTrainingCellsTeachTheDcaeOnly) {
  const std::string a = temp_dir("unl_a"), b = temp_dir("unl_b");
  Result ra = run_hep2("run " + kSmall + " --train-cells 60 --unlabeled train --out " + a);
  ASSERT_EQ(ra.code, 0) << ra.output;
  const nlohmann::json t = read_json(a + "/metrics.json").at("training");
  const size_t labelled = t.at("labelled_cells"), unlabelled = t.at("unlabelled_cells");
  const size_t train = 200 - read_json(a + "/metrics.json").at("test_cells").get<size_t>();
  EXPECT_EQ(labelled + unlabelled, train);
  EXPECT_GT(unlabelled, 0u);
  EXPECT_EQ(t.at("dcae")[0].at("cells"), train);  // every training cell
  EXPECT_EQ(t.at("classifiers")[0].at("cells").get<size_t>() +
                t.at("classifiers")[0].at("validation_cells").get<size_t>(),
            labelled);
  // The DCAE is the one a run on every training cell trains: the same checkpoint.
  Result rb = run_hep2("run " + kSmall + " --out " + b);
  ASSERT_EQ(rb.code, 0) << rb.output;
  EXPECT_TRUE(hep2::test::same_parameters(a + "/dcae.ckpt", b + "/dcae.ckpt"));
  // ... and train-clf on that run with --train-cells 60 gives the subset run's classifier.
  Result c = run_hep2("train-clf --device cpu --threads 1 --train-cells 60 --out " + b);
  ASSERT_EQ(c.code, 0) << c.output;
  EXPECT_TRUE(hep2::test::same_parameters(a + "/mlp.ckpt", b + "/mlp.ckpt"));
  // 'train' without --train-cells is refused: nothing would be unlabelled.
  Result bad = run_hep2("run " + kSmall + " --unlabeled train --out " + a + "_x");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.output.find("option --unlabeled: 'train' needs --train-cells"), std::string::npos)
      << bad.output;
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(SmallData, TheLatentIsScaledPooledButNotInRunsWrittenBeforeThatDefault) {
  const std::string dir = temp_dir("scale");
  Result r = run_hep2("run " + kSmall + " --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read_json(dir + "/metrics.json").at("training").at("classifiers")[0].at("scaling"), "pooled");
  const std::string pooled = dir + "/mlp.ckpt.pooled";
  fs::copy_file(dir + "/mlp.ckpt", pooled);
  // A refit with the run's settings repeats its classifier ...
  ASSERT_EQ(run_hep2("train-clf --device cpu --threads 1 --out " + dir).code, 0);
  EXPECT_TRUE(hep2::test::same_parameters(pooled, dir + "/mlp.ckpt"));
  // ... and one of a run folder written before the key existed scales every feature alike, as
  // that run did.
  nlohmann::json config = read_json(dir + "/config.json");
  ASSERT_EQ(config.erase("clf_scale"), 1u);
  std::ofstream(dir + "/config.json") << config.dump(2);
  ASSERT_EQ(run_hep2("train-clf --device cpu --threads 1 --out " + dir).code, 0);
  EXPECT_FALSE(hep2::test::same_parameters(pooled, dir + "/mlp.ckpt"));
  ASSERT_EQ(run_hep2("train-clf --device cpu --threads 1 --clf-scale pooled --out " + dir).code, 0);
  EXPECT_TRUE(hep2::test::same_parameters(pooled, dir + "/mlp.ckpt"));
  // The statistics stay per feature, whatever reads them.
  Result stats = run_hep2("run " + kSmall + " --features stats --classifier linear --out " + dir);
  ASSERT_EQ(stats.code, 0) << stats.output;
  EXPECT_EQ(read_json(dir + "/metrics.json").at("training").at("classifiers")[0].at("scaling"), "feature");
  fs::remove_all(dir);
}

TEST(SmallData, UnlabelledCellsFromElsewhereButNeverTheTestCells) {
  const std::string cells = temp_dir("cells"), more = temp_dir("more"), run = temp_dir("path");
  ASSERT_EQ(run_hep2("synth --count 100 --size 16 --seed 3 --out " + cells).code, 0);
  ASSERT_EQ(run_hep2("synth --count 40 --size 16 --seed 8 --out " + more).code, 0);
  const std::string base = "run --device cpu --threads 1 --data " + cells +
                           "/manifest.csv --size 16 --channels 4,8 --epochs 1 --ae-min-steps 0 --batch 16 "
                           "--clf-epochs 2 --out " + run;
  Result r = run_hep2(base + " --unlabeled " + more);
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json t = read_json(run + "/metrics.json").at("training");
  EXPECT_EQ(t.at("unlabelled_cells"), 40);
  EXPECT_EQ(t.at("dcae")[0].at("cells"), t.at("labelled_cells").get<size_t>() + 40);
  EXPECT_FALSE(t.at("transductive").get<bool>());
  // The linear classifier self-trains on them: their features are read like the data's.
  Result self = run_hep2(base + " --unlabeled " + more + " --classifier linear --clf-self-train 2");
  ASSERT_EQ(self.code, 0) << self.output;
  EXPECT_NE(self.output.find("self-trained over 2 rounds on 40 unlabelled rows"), std::string::npos)
      << self.output;
  // train-clf with the run's settings reads the PATH cells again (they are not in features.npy)
  // and fits the run's classifier, not one without them.
  const std::string run_model = run + "/mlp.ckpt.run";
  fs::copy_file(run + "/mlp.ckpt", run_model);
  Result refit = run_hep2("train-clf --device cpu --threads 1 --out " + run);
  ASSERT_EQ(refit.code, 0) << refit.output;
  EXPECT_NE(refit.output.find("self-trained over 2 rounds on 40 unlabelled rows"), std::string::npos)
      << refit.output;
  EXPECT_TRUE(hep2::test::same_parameters(run_model, run + "/mlp.ckpt"));
  Result refit_leak = run_hep2("train-clf --device cpu --threads 1 --unlabeled " + cells + " --out " + run);
  EXPECT_EQ(refit_leak.code, 1) << refit_leak.output;
  EXPECT_NE(refit_leak.output.find("is a test cell of this evaluation"), std::string::npos)
      << refit_leak.output;
  // Photometric copies of the labelled cells go after the unlabelled cells' rows.
  Result copies = run_hep2(base + " --unlabeled " + more +
                           " --classifier linear --clf-self-train 2 --clf-augment gamma2");
  ASSERT_EQ(copies.code, 0) << copies.output;
  EXPECT_NE(copies.output.find("photometric copies: gamma2"), std::string::npos) << copies.output;
  fs::remove_all(run);
  // The data's own cells include its test cells: refused, naming one, unless --transductive.
  Result leak = run_hep2(base + " --unlabeled " + cells);
  EXPECT_EQ(leak.code, 1) << leak.output;
  EXPECT_NE(leak.output.find("is a test cell of this evaluation"), std::string::npos) << leak.output;
  EXPECT_NE(leak.output.find("--transductive"), std::string::npos) << leak.output;
  EXPECT_NE(leak.output.find("--unlabeled"), std::string::npos) << leak.output;
  EXPECT_EQ(leak.output.find("{"), std::string::npos) << leak.output;  // every key became its flag
  Result trans = run_hep2(base + " --unlabeled " + cells + " --transductive");
  ASSERT_EQ(trans.code, 0) << trans.output;
  EXPECT_TRUE(read_json(run + "/metrics.json").at("training").at("transductive").get<bool>());
  for (const std::string& d : {cells, more, run}) fs::remove_all(d);
}

TEST(SmallData, SelfTrainingPseudoLabelsTheUnlabelledCells) {
  const std::string dir = temp_dir("self");
  const std::string linear = " --classifier linear --clf-ridge 0.01";
  Result r = run_hep2("run " + kSmall + linear + " --train-cells 60 --unlabeled train --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string plain_model = dir + "/mlp.ckpt.plain";
  fs::copy_file(dir + "/mlp.ckpt", plain_model);
  const nlohmann::json before = read_json(dir + "/metrics.json").at("training");
  EXPECT_EQ(before.at("classifiers")[0].at("stopping").get<std::string>().find("self-trained"),
            std::string::npos);
  // The same DCAE, the classifier refitted with 3 rounds on the training cells left unlabelled.
  Result s = run_hep2("train-clf --device cpu --threads 1 --clf-self-train 3 --out " + dir);
  ASSERT_EQ(s.code, 0) << s.output;
  const size_t unlabelled = before.at("unlabelled_cells");
  ASSERT_GT(unlabelled, 0u);
  EXPECT_NE(s.output.find("self-trained over 3 rounds on " + std::to_string(unlabelled) +
                          " unlabelled rows"),
            std::string::npos)
      << s.output;
  EXPECT_FALSE(hep2::test::same_parameters(plain_model, dir + "/mlp.ckpt"));
  // The test cells are pseudo-labelled only when the run says it is transductive.
  Result leak = run_hep2("train-clf --device cpu --threads 1 --clf-self-train 3 --unlabeled test --out " + dir);
  EXPECT_EQ(leak.code, 1) << leak.output;
  EXPECT_NE(leak.output.find("option --unlabeled: 'test'"), std::string::npos) << leak.output;
  EXPECT_NE(leak.output.find("--transductive"), std::string::npos) << leak.output;
  Result trans = run_hep2("train-clf --device cpu --threads 1 --clf-self-train 3 --unlabeled train,test "
                          "--transductive --out " + dir);
  ASSERT_EQ(trans.code, 0) << trans.output;
  const size_t test_cells = read_json(dir + "/metrics.json").at("test_cells");
  EXPECT_NE(trans.output.find("on " + std::to_string(unlabelled + test_cells) + " unlabelled rows"),
            std::string::npos)
      << trans.output;
  fs::remove_all(dir);
}

TEST(SmallData, TransductiveDcaeLearnsFromTheTestCells) {
  const std::string dir = temp_dir("trans");
  Result r = run_hep2("run " + kSmall + " --unlabeled test --transductive --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json m = read_json(dir + "/metrics.json");
  const nlohmann::json& t = m.at("training");
  EXPECT_EQ(t.at("unlabelled_cells"), m.at("test_cells"));
  EXPECT_EQ(t.at("dcae")[0].at("cells"), 200u);  // every cell, the test cells without labels
  EXPECT_TRUE(t.at("transductive").get<bool>());
  fs::remove_all(dir);
}

}  // namespace
