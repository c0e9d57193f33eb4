// Dataset: loading a cell list into one tensor (shape, metadata, thread-count independence,
// progress, the first error in list order), subsets, and one optional check on real cells.
#include <gtest/gtest.h>
#include <omp.h>

#include <filesystem>
#include <set>
#include <string>

#include "data_fixtures.h"
#include "hep2/pipeline/dataset.h"
#include "hep2/pipeline/manifest.h"
#include "hep2/pipeline/synth.h"

namespace hep2 {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using test::TempDir;

CellList synthetic_list(const TempDir& dir, int count) {
  SynthOptions options;
  options.count = count;
  options.size = 40;
  write_synth(dir.str(), options);
  return read_manifest(dir.file("manifest.csv"));
}

TEST(Dataset, LoadsOneTensorWithMetadata) {
  TempDir dir;
  const CellList list = synthetic_list(dir, 11);
  PreprocessOptions options;
  options.height = 32;
  options.width = 24;
  const Dataset data = load_dataset(list, options);
  EXPECT_EQ(data.shape, (Shape4{11, 1, 32, 24}));
  ASSERT_EQ(data.images.size(), size_t(11 * 32 * 24));
  ASSERT_EQ(data.size(), 11u);
  EXPECT_EQ(data.class_names, list.class_names);
  for (size_t i = 0; i < 11; ++i) {
    EXPECT_EQ(data.labels[i], list.cells[i].label);
    EXPECT_EQ(data.paths[i], list.cells[i].path);
    EXPECT_EQ(data.groups[i], list.cells[i].group);
    EXPECT_EQ(data.splits[i], "");
    EXPECT_EQ(data.image(i), data.images.data() + i * 32 * 24);
  }
  for (float v : data.images) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
  }
}

TEST(Dataset, SameBitsForAnyThreadCountAndProgressReachesTheEnd) {
  TempDir dir;
  const CellList list = synthetic_list(dir, 300);  // more than one loading chunk
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const Dataset one = load_dataset(list, PreprocessOptions{});
  omp_set_num_threads(std::max(2, threads));
  size_t last = 0, calls = 0;
  bool monotonic = true;
  const Dataset many = load_dataset(list, PreprocessOptions{}, [&](size_t done, size_t total) {
    monotonic = monotonic && done > last && total == 300;
    last = done;
    ++calls;
  });
  omp_set_num_threads(threads);
  EXPECT_EQ(one.images, many.images);
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(last, 300u);
  EXPECT_GE(calls, 2u);
}

TEST(Dataset, FirstFailingCellInListOrderIsReported) {
  TempDir dir;
  CellList list = synthetic_list(dir, 20);
  test::write_text(dir.file("broken_a.png"), "");
  test::write_text(dir.file("broken_b.png"), "garbage");
  list.cells[13].path = dir.file("broken_b.png");
  list.cells[7].path = dir.file("broken_a.png");
  list.cells[7].mask.clear();
  const std::string message = error_of([&] { load_dataset(list, PreprocessOptions{}); });
  EXPECT_NE(message.find("broken_a.png"), std::string::npos) << message;
}

TEST(Dataset, MaskOfAnotherSizeFailsTheLoadNamingTheMask) {
  TempDir dir;
  CellList list = synthetic_list(dir, 3);
  test::write_image(dir.file("odd_mask.png"), cv::Mat(5, 5, CV_8U, cv::Scalar(255)));
  list.cells[1].mask = dir.file("odd_mask.png");
  const std::string message = error_of([&] { load_dataset(list, PreprocessOptions{}); });
  EXPECT_NE(message.find("odd_mask.png"), std::string::npos) << message;
  PreprocessOptions no_masks;
  no_masks.use_mask = false;  // then the mask is not even read
  EXPECT_EQ(load_dataset(list, no_masks).size(), 3u);
}

TEST(Dataset, EmptyListIsAnError) {
  CellList list;
  list.source = "nothing.csv";
  EXPECT_NE(error_of([&] { load_dataset(list, PreprocessOptions{}); }).find("nothing.csv"), std::string::npos);
}

TEST(Dataset, SubsetCopiesTheChosenCells) {
  TempDir dir;
  const Dataset data = load_dataset(synthetic_list(dir, 6), PreprocessOptions{});
  const Dataset sub = subset(data, {4, 1, 4});
  EXPECT_EQ(sub.shape, (Shape4{3, 1, 64, 64}));
  const size_t per = 64 * 64;
  EXPECT_TRUE(std::equal(sub.image(0), sub.image(0) + per, data.image(4)));
  EXPECT_TRUE(std::equal(sub.image(1), sub.image(1) + per, data.image(1)));
  EXPECT_EQ(sub.labels, (std::vector<int32_t>{data.labels[4], data.labels[1], data.labels[4]}));
  EXPECT_EQ(sub.paths[1], data.paths[1]);
  EXPECT_EQ(sub.groups[0], data.groups[4]);
  EXPECT_EQ(sub.class_names, data.class_names);
  EXPECT_NE(error_of([&] { subset(data, {6}); }).find("6"), std::string::npos);
}

// Real I3A cells, when the shared data is there (never in a user's checkout).
TEST(Dataset, LoadsRealI3aCellsWhenPresent) {
  const std::string manifest = std::string(HEP2_SHARED_DATA) + "/i3a/manifest.csv";
  if (!fs::exists(manifest)) GTEST_SKIP() << manifest << " is absent";
  const CellList all = read_manifest(manifest);
  ASSERT_EQ(all.class_names,
            (std::vector<std::string>{"Centromere", "Golgi", "Homogeneous", "NuMem", "Nucleolar", "Speckled"}));
  EXPECT_TRUE(all.has_split);
  CellList fifty = all;
  fifty.cells.clear();
  for (size_t k = 0; k < 50; ++k) fifty.cells.push_back(all.cells[k * (all.cells.size() / 50)]);
  const Dataset data = load_dataset(fifty, PreprocessOptions{});
  EXPECT_EQ(data.shape, (Shape4{50, 1, 64, 64}));
  std::set<int> labels(data.labels.begin(), data.labels.end());
  EXPECT_GE(labels.size(), 5u);  // the sample spans the classes
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_TRUE(data.splits[i] == "train" || data.splits[i] == "val") << data.splits[i];
    // The folder of each image is its class.
    EXPECT_EQ(fs::path(data.paths[i]).parent_path().filename().string(), data.class_names[size_t(data.labels[i])]);
    float hi = 0.0f;
    for (size_t p = 0; p < 64 * 64; ++p) {
      ASSERT_GE(data.image(i)[p], 0.0f);
      ASSERT_LE(data.image(i)[p], 1.0f);
      hi = std::max(hi, data.image(i)[p]);
    }
    EXPECT_GT(hi, 0.5f) << "the percentile stretch leaves a visible cell: " << data.paths[i];
  }
}

}  // namespace
}  // namespace hep2
