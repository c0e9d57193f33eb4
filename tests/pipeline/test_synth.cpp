// Synth: the generator is deterministic per (seed, index), balanced, grouped by specimen, in
// [0, 1] after preprocessing, identical in memory and through its files, and its classes
// differ the way the patterns do (homogeneous is the smoothest; nucleolar has the fewest bright
// pixels; fine speckled has far more bright pixels than coarse speckled).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "data_fixtures.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/synth.h"

namespace hep2 {
namespace {

using test::error_of;
using test::TempDir;

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0.0;
}

TEST(Synth, CellDependsOnlyOnSeedAndIndex) {
  const SynthCell a = synth_cell(5, 123, 64), b = synth_cell(5, 123, 64);
  EXPECT_TRUE(same(a.image8, b.image8));
  EXPECT_TRUE(same(a.mask8, b.mask8));
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.group, b.group);
  EXPECT_FALSE(same(a.image8, synth_cell(6, 123, 64).image8));
  EXPECT_FALSE(same(a.image8, synth_cell(5, 128, 64).image8));  // same class, another cell
  EXPECT_EQ(a.image8.type(), CV_8UC1);
  EXPECT_EQ(a.image8.size(), cv::Size(64, 64));
  EXPECT_EQ(synth_cell(5, 7, 48).image8.size(), cv::Size(48, 48));
}

TEST(Synth, SynthesizeIsDeterministicPrefixStableAndThreadIndependent) {
  SynthOptions options;
  options.count = 40;
  options.seed = 9;
  PreprocessOptions pre;
  pre.height = pre.width = 32;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const Dataset one = synthesize(options, pre);
  omp_set_num_threads(std::max(2, threads));
  const Dataset many = synthesize(options, pre);
  options.count = 20;
  const Dataset prefix = synthesize(options, pre);
  omp_set_num_threads(threads);
  EXPECT_EQ(one.images, many.images);
  EXPECT_EQ(one.labels, many.labels);
  ASSERT_EQ(prefix.images.size(), one.images.size() / 2);
  EXPECT_TRUE(std::equal(prefix.images.begin(), prefix.images.end(), one.images.begin()));
  options.seed = 10;
  options.count = 40;
  EXPECT_NE(synthesize(options, pre).images, one.images);
}

TEST(Synth, BalancedGroupedAndInUnitRange) {
  SynthOptions options;
  options.count = 53;
  const Dataset data = synthesize(options, PreprocessOptions{});
  EXPECT_EQ(data.shape, (Shape4{53, 1, 64, 64}));
  EXPECT_EQ(data.class_names, kSynthClasses);
  std::map<int, int> per_class;
  for (int32_t label : data.labels) per_class[label]++;
  ASSERT_EQ(per_class.size(), 5u);
  for (auto [label, n] : per_class) EXPECT_TRUE(n == 10 || n == 11) << label << ": " << n;
  // A specimen shows one pattern.
  std::map<std::string, std::set<int>> classes_of_group;
  for (size_t i = 0; i < data.size(); ++i) {
    EXPECT_FALSE(data.groups[i].empty());
    EXPECT_EQ(data.splits[i], "");
    classes_of_group[data.groups[i]].insert(data.labels[i]);
  }
  EXPECT_GE(classes_of_group.size(), 10u);
  for (const auto& [g, classes] : classes_of_group) EXPECT_EQ(classes.size(), 1u) << g;
  for (float v : data.images) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
  }
}

TEST(Synth, FortySpecimensInTheDefaultSet) {
  std::set<std::string> groups;
  for (int i = 0; i < 1000; i += 1) groups.insert(synth_cell(1, i, 16).group);
  EXPECT_EQ(groups.size(), 40u);
}

TEST(Synth, MasksAreEllipsesFillingMostOfTheCrop) {
  double total = 0.0;
  for (int i = 0; i < 100; ++i) {
    const SynthCell cell = synth_cell(2, i, 64);
    ASSERT_EQ(cell.mask8.type(), CV_8UC1);
    const int inside = cv::countNonZero(cell.mask8);
    EXPECT_EQ(inside + cv::countNonZero(cell.mask8 == 0), 64 * 64) << "mask values are 0 or 255 only";
    EXPECT_EQ(cv::countNonZero(cell.mask8 == 255), inside);
    const double fraction = inside / 4096.0;
    EXPECT_GE(fraction, 0.38) << i;
    EXPECT_LE(fraction, 0.8) << i;
    total += fraction;
    // The cell is where the mask is: brighter inside than outside.
    EXPECT_GT(cv::mean(cell.image8, cell.mask8)[0], cv::mean(cell.image8, cell.mask8 == 0)[0]) << i;
  }
  EXPECT_GE(total / 100, 0.5);
}

TEST(Synth, BrightnessVariesSeveralFoldAndSomeCropsShowANeighbour) {
  std::vector<double> brightness;
  int with_neighbour = 0;
  const int n = 500;
  for (int i = 0; i < n; ++i) {
    const SynthCell cell = synth_cell(4, i, 64);
    const cv::Mat outside = cell.mask8 == 0;
    // Away from the cell's own outline, which the optical blur spreads by a pixel or two.
    cv::Mat near_cell;
    cv::dilate(cell.mask8, near_cell, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(9, 9)));
    std::vector<unsigned char> out_values;
    for (int p = 0; p < 64 * 64; ++p)
      if (outside.data[p]) out_values.push_back(cell.image8.data[p]);
    std::nth_element(out_values.begin(), out_values.begin() + long(out_values.size() / 2), out_values.end());
    const double background = out_values[out_values.size() / 2];
    const double cell_mean = cv::mean(cell.image8, cell.mask8)[0];
    brightness.push_back(cell_mean - background);
    // A neighbour: a patch outside the mask at least half as bright (above background) as the cell.
    const cv::Mat lit = (cell.image8 > background + 0.5 * (cell_mean - background)) & (near_cell == 0);
    if (cv::countNonZero(lit) >= 30) ++with_neighbour;
  }
  std::sort(brightness.begin(), brightness.end());
  EXPECT_GT(brightness[size_t(n * 0.95)] / std::max(1.0, brightness[size_t(n * 0.05)]), 4.0);
  EXPECT_GT(with_neighbour, n / 10);
  EXPECT_LT(with_neighbour, n * 6 / 10);
}

TEST(Synth, ClassTexturesDiffer) {
  SynthOptions options;
  options.count = 500;
  options.seed = 3;
  const Dataset data = synthesize(options, PreprocessOptions{});
  std::vector<double> raw_cv(5, 0.0), bright(5, 0.0);
  std::vector<int> n(5, 0);
  for (int i = 0; i < options.count; ++i) {
    const SynthCell cell = synth_cell(options.seed, i, 64);
    // Smoothness: coefficient of variation of the raw intensity inside the cell.
    cv::Scalar mean, dev;
    cv::meanStdDev(cell.image8, mean, dev, cell.mask8);
    // Sparseness: the fraction of the cell above half of the normalised range.
    const cv::Mat pre(64, 64, CV_32F, const_cast<float*>(data.image(size_t(i))));
    const double above = cv::countNonZero((pre > 0.5f) & cell.mask8) / double(cv::countNonZero(cell.mask8));
    raw_cv[size_t(cell.label)] += dev[0] / mean[0];
    bright[size_t(cell.label)] += above;
    n[size_t(cell.label)]++;
  }
  for (int c = 0; c < 5; ++c) {
    raw_cv[size_t(c)] /= n[size_t(c)];
    bright[size_t(c)] /= n[size_t(c)];
  }
  enum { kCentromere, kCoarse, kFine, kHom, kNucleolar };  // kSynthClasses order (alphabetical)
  for (int c : {kCoarse, kFine, kNucleolar, kCentromere})
    EXPECT_LT(raw_cv[kHom], raw_cv[size_t(c)]) << "homogeneous must be smoother than " << kSynthClasses[size_t(c)];
  for (int c : {kHom, kCoarse, kFine, kCentromere})
    EXPECT_LT(bright[kNucleolar] * 2, bright[size_t(c)]) << "nucleolar vs " << kSynthClasses[size_t(c)];
  EXPECT_GT(bright[kFine], 2 * bright[kCoarse]) << "dense fine granules vs sparse coarse speckles";
}

TEST(Synth, WrittenFilesLoadToTheSameDataset) {
  TempDir dir;
  SynthOptions options;
  options.count = 25;
  options.size = 48;
  options.seed = 77;
  write_synth(dir.str(), options);
  PreprocessOptions pre;
  pre.height = pre.width = 40;
  const Dataset memory = synthesize(options, pre);
  const CellList list = open_cell_list(dir.str());
  EXPECT_TRUE(list.has_groups);
  const Dataset disk = load_dataset(list, pre);
  ASSERT_EQ(disk.size(), memory.size());
  EXPECT_EQ(disk.images, memory.images);  // PNG is lossless; one preprocessing path
  for (size_t i = 0; i < disk.size(); ++i) {
    EXPECT_EQ(disk.class_names[size_t(disk.labels[i])], memory.class_names[size_t(memory.labels[i])]) << i;
    EXPECT_EQ(disk.groups[i], memory.groups[i]) << i;
    EXPECT_NE(disk.paths[i].find(memory.paths[i]), std::string::npos) << disk.paths[i] << " vs " << memory.paths[i];
  }
}

TEST(Synth, BadOptionsAreErrors) {
  EXPECT_NE(error_of([] { synth_cell(1, 0, 8); }).find("8"), std::string::npos);
  EXPECT_FALSE(error_of([] { synth_cell(1, -1, 64); }).empty());
  SynthOptions options;
  options.count = 0;
  EXPECT_FALSE(error_of([&] { synthesize(options, PreprocessOptions{}); }).empty());
}

}  // namespace
}  // namespace hep2
