// ClassFolders: root/<Class>/images with masks in root/masks/<Class>/ (both spellings of the
// suffix) or beside the images; what is not a class or not a cell is skipped; the errors name
// the folder or image at fault.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data_fixtures.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/class_folders.h"
#include "hep2/pipeline/synth.h"

namespace hep2 {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using test::TempDir;

std::string name_of(const std::string& path) { return fs::path(path).filename().string(); }

TEST(ClassFolders, ReadsClassesMasksAndSkipsTheRest) {
  TempDir dir;
  const cv::Mat img = test::gradient8(6, 5);
  test::write_image(dir.file("Zeta/z2.png"), img);
  test::write_image(dir.file("Zeta/z1.tif"), img);
  test::write_image(dir.file("Alpha/a1.bmp"), img);
  test::write_image(dir.file("Alpha/a1_mask.png"), img);  // a mask beside its image: not a cell
  test::write_image(dir.file("masks/Zeta/z1_Mask.png"), img);
  test::write_image(dir.file("masks/Zeta/z2_mask.png"), img);
  test::write_text(dir.file("Alpha/readme.txt"), "not an image");
  test::write_image(dir.file(".hidden/h.png"), img);
  const CellList list = read_class_folders(dir.str());
  ASSERT_EQ(list.class_names, (std::vector<std::string>{"Alpha", "Zeta"}));
  ASSERT_EQ(list.cells.size(), 3u);
  EXPECT_EQ(name_of(list.cells[0].path), "a1.bmp");
  EXPECT_EQ(list.cells[0].label, 0);
  EXPECT_EQ(name_of(list.cells[0].mask), "a1_mask.png");
  EXPECT_EQ(name_of(list.cells[1].path), "z1.tif");
  EXPECT_EQ(list.cells[1].label, 1);
  EXPECT_EQ(name_of(list.cells[1].mask), "z1_Mask.png");
  EXPECT_EQ(name_of(list.cells[2].path), "z2.png");
  EXPECT_EQ(name_of(list.cells[2].mask), "z2_mask.png");
  EXPECT_FALSE(list.has_split);
  EXPECT_FALSE(list.has_groups);
}

TEST(ClassFolders, ReadsWhatWriteSynthWrites) {
  TempDir dir;
  SynthOptions options;
  options.count = 12;
  options.size = 24;
  write_synth(dir.str(), options);
  const CellList list = read_class_folders(dir.str());
  std::vector<std::string> sorted = kSynthClasses;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(list.class_names, sorted);
  ASSERT_EQ(list.cells.size(), 12u);
  for (const CellRecord& cell : list.cells) {
    ASSERT_FALSE(cell.mask.empty()) << cell.path;
    EXPECT_EQ(fs::path(cell.mask).stem().string(), fs::path(cell.path).stem().string() + "_mask");
    EXPECT_EQ(fs::path(cell.path).parent_path().filename().string(), list.class_names[size_t(cell.label)]);
  }
}

TEST(ClassFolders, FlatFolderIsUnlabelled) {
  TempDir dir;
  test::write_image(dir.file("b.png"), test::gradient8(4, 4));
  test::write_image(dir.file("a.jpeg"), test::gradient8(4, 4));
  const CellList list = read_class_folders(dir.str());
  EXPECT_TRUE(list.class_names.empty());
  ASSERT_EQ(list.cells.size(), 2u);
  EXPECT_EQ(name_of(list.cells[0].path), "a.jpeg");
  EXPECT_EQ(list.cells[0].label, -1);
  EXPECT_EQ(list.cells[1].label, -1);
}

TEST(ClassFolders, EmptyClassFolderIsAnErrorNamingIt) {
  TempDir dir;
  test::write_image(dir.file("Full/a.png"), test::gradient8(4, 4));
  fs::create_directories(dir.str() + "/EmptyClass");
  test::write_text(dir.file("EmptyClass/notes.txt"), "no images here");
  const std::string message = error_of([&] { read_class_folders(dir.str()); });
  EXPECT_NE(message.find("EmptyClass"), std::string::npos) << message;
  EXPECT_NE(message.find("no image"), std::string::npos) << message;
}

TEST(ClassFolders, MissingMaskIsAnErrorNamingTheImage) {
  TempDir dir;
  test::write_image(dir.file("C/has.png"), test::gradient8(4, 4));
  test::write_image(dir.file("C/lacks_one.png"), test::gradient8(4, 4));
  test::write_image(dir.file("masks/C/has_mask.png"), test::gradient8(4, 4));
  const std::string message = error_of([&] { read_class_folders(dir.str()); });
  EXPECT_NE(message.find("lacks_one.png"), std::string::npos) << message;
  EXPECT_NE(message.find("no mask"), std::string::npos) << message;
}

TEST(ClassFolders, MissingOrEmptyRootIsAnError) {
  TempDir dir;
  EXPECT_NE(error_of([&] { read_class_folders(dir.str() + "/not_here"); }).find("not_here"), std::string::npos);
  const std::string message = error_of([&] { read_class_folders(dir.str()); });
  EXPECT_NE(message.find(dir.str()), std::string::npos) << message;
}

TEST(ClassFolders, ImageExtensions) {
  for (const char* e : {".png", ".PNG", ".tif", ".TIFF", ".bmp", ".jpg", ".JPEG", ".pgm", ".PPM"})
    EXPECT_TRUE(is_image_extension(e)) << e;
  for (const char* e : {".txt", ".csv", "", ".png.bak", ".gif", "png", "."}) EXPECT_FALSE(is_image_extension(e)) << e;
  EXPECT_EQ(image_extensions(), "png, tif, tiff, bmp, jpg, jpeg, pbm, pgm, ppm");
}

}  // namespace
}  // namespace hep2
