// Icpr2012: the contest folder layout (paper/NOTES.md) rebuilt in miniature: RGB crops with the
// signal in green, NNN_mask.png masks, ';'-separated gt files, cells.csv with the source image
// of each cell. Checks the official split, labels, groups, the green channel and the errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data_fixtures.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/dataset.h"
#include "hep2/pipeline/icpr2012.h"

namespace hep2 {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using test::TempDir;

// A crop whose green channel is a gradient and whose red and blue are dim noise-free constants.
cv::Mat green_crop(int seed) {
  cv::Mat bgr(6, 8, CV_8UC3);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 8; ++x)
      bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(3, static_cast<unsigned char>(40 + 20 * x + 3 * y + seed), 5);
  return bgr;
}

// training: cells 1..3, test: cells 1..2 (numbered per set, as the gt files may be);
// cells.csv numbers them globally 1..5.
void make_contest(const TempDir& dir, const std::string& cells_csv) {
  for (const char* set : {"training", "test"}) {
    const int n = std::string(set) == "training" ? 3 : 2;
    for (int i = 1; i <= n; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "%03d", i);
      test::write_image(dir.file(std::string(set) + "/" + name + ".png"), green_crop(i));
      test::write_image(dir.file(std::string(set) + "/" + name + "_mask.png"), cv::Mat(6, 8, CV_8U, cv::Scalar(255)));
    }
  }
  test::write_text(dir.file("training/gt_training.csv"),
                   "ID;pattern\r\n1;homogeneous\r\n2;centromere\r\n3;homogeneous\r\n");
  test::write_text(dir.file("training/training.csv"), "ID;intensity;width;height\r\n1;positive;8;6\r\n");
  test::write_text(dir.file("test/gt_test.csv"), "ID;pattern\r\n1;nucleolar\r\n2;centromere\r\n");
  if (!cells_csv.empty()) test::write_text(dir.file("cells.csv"), cells_csv);
}

const char* kCellsCsv =
    "ICPR2012Contest_Cell_ID;Set;Image;Intensity;Original_cell_ID;Cell_class;Cell_width;Cell_height\n"
    "1;training;img01;positive;1;homogeneous;8;6\n"
    "2;training;img02;positive;1;centromere;8;6\n"
    "3;training;img01;positive;2;homogeneous;8;6\n"
    "4;test;img07;intermediate;1;nucleolar;8;6\n"
    "5;test;img08;intermediate;1;centromere;8;6\n";

TEST(Icpr2012, ReadsSplitLabelsMasksAndGroups) {
  TempDir dir;
  make_contest(dir, kCellsCsv);
  EXPECT_TRUE(is_icpr2012_folder(dir.str()));
  const CellList list = read_icpr2012(dir.str());
  ASSERT_EQ(list.class_names, (std::vector<std::string>{"centromere", "homogeneous", "nucleolar"}));
  ASSERT_EQ(list.cells.size(), 5u);
  EXPECT_TRUE(list.has_split);
  EXPECT_TRUE(list.has_groups);
  const std::vector<std::string> split = {"train", "train", "train", "test", "test"};
  const std::vector<int> label = {1, 0, 1, 2, 0};
  const std::vector<std::string> group = {"img01", "img02", "img01", "img07", "img08"};
  const std::vector<std::string> file = {"training/001.png", "training/002.png", "training/003.png", "test/001.png",
                                         "test/002.png"};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(list.cells[i].split, split[i]) << i;
    EXPECT_EQ(list.cells[i].label, label[i]) << i;
    EXPECT_EQ(list.cells[i].group, group[i]) << i;
    EXPECT_EQ(fs::path(list.cells[i].path), fs::path(dir.str()) / file[i]) << i;
    EXPECT_EQ(fs::path(list.cells[i].mask).filename().string(),
              fs::path(file[i]).stem().string() + "_mask.png") << i;
  }
}

TEST(Icpr2012, OpenCellListDetectsItAndAutoTakesGreen) {
  TempDir dir;
  make_contest(dir, kCellsCsv);
  const CellList list = open_cell_list(dir.str());
  ASSERT_EQ(list.cells.size(), 5u);
  PreprocessOptions options;
  options.height = options.width = 8;
  options.norm = Normalization::None;
  const Dataset automatic = load_dataset(list, options);
  options.channel = Channel::Green;
  const Dataset green = load_dataset(list, options);
  options.channel = Channel::Red;
  const Dataset red = load_dataset(list, options);
  EXPECT_EQ(automatic.images, green.images);
  EXPECT_NE(automatic.images, red.images);
  // The 8x6 crop sits in rows 1..6 of the 8x8 canvas; its first pixel is green 40 + 1.
  EXPECT_FLOAT_EQ(green.image(0)[1 * 8 + 0], 41.0f / 255.0f);
}

TEST(Icpr2012, WithoutCellsCsvThereAreNoGroups) {
  TempDir dir;
  make_contest(dir, "");
  const CellList list = read_icpr2012(dir.str());
  EXPECT_FALSE(list.has_groups);
  EXPECT_EQ(list.cells.size(), 5u);
  EXPECT_EQ(list.cells[4].group, "");
}

TEST(Icpr2012, GlobalIdsInTheGtFilesMatchDirectly) {
  TempDir dir;
  make_contest(dir, kCellsCsv);
  // Rename the test cells to their global numbers 4 and 5.
  for (const char* stem : {"001", "002"}) {
    const std::string global = std::string(stem) == "001" ? "004" : "005";
    fs::rename(dir.file(std::string("test/") + stem + ".png"), dir.file("test/" + global + ".png"));
    fs::rename(dir.file(std::string("test/") + stem + "_mask.png"), dir.file("test/" + global + "_mask.png"));
  }
  test::write_text(dir.file("test/gt_test.csv"), "ID;pattern\n5;centromere\n4;nucleolar\n");
  const CellList list = read_icpr2012(dir.str());
  ASSERT_EQ(list.cells.size(), 5u);
  EXPECT_EQ(fs::path(list.cells[3].path).filename().string(), "005.png");
  EXPECT_EQ(list.cells[3].group, "img08");
  EXPECT_EQ(list.cells[4].group, "img07");
}

TEST(Icpr2012, CellsCsvThatDisagreesWithTheGtIsAnError) {
  TempDir dir;
  std::string wrong = kCellsCsv;
  wrong.replace(wrong.find("2;training;img02;positive;1;centromere"), 38, "2;training;img02;positive;1;nucleolar ");
  make_contest(dir, wrong);
  const std::string message = error_of([&] { read_icpr2012(dir.str()); });
  EXPECT_NE(message.find("cells.csv"), std::string::npos) << message;
}

TEST(Icpr2012, MissingMaskOrImageIsAnErrorNamingTheFile) {
  TempDir dir;
  make_contest(dir, kCellsCsv);
  fs::remove(dir.file("training/002_mask.png"));
  std::string message = error_of([&] { read_icpr2012(dir.str()); });
  EXPECT_NE(message.find("002_mask.png"), std::string::npos) << message;
  EXPECT_NE(message.find("gt_training.csv"), std::string::npos) << message;

  TempDir other;
  make_contest(other, kCellsCsv);
  fs::remove(other.file("test/002.png"));
  message = error_of([&] { read_icpr2012(other.str()); });
  EXPECT_NE(message.find("002.png"), std::string::npos) << message;
  EXPECT_NE(message.find("gt_test.csv"), std::string::npos) << message;
}

TEST(Icpr2012, GtWithoutPatternColumnNamesTheFile) {
  TempDir dir;
  make_contest(dir, "");
  test::write_text(dir.file("test/gt_test.csv"), "ID;class\n1;nucleolar\n");
  const std::string message = error_of([&] { read_icpr2012(dir.str()); });
  EXPECT_NE(message.find("gt_test.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("pattern"), std::string::npos) << message;
}

}  // namespace
}  // namespace hep2
