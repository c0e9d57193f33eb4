// CellList: open_cell_list picks the right reader for each layout and explains when none fits;
// keep_classes subsets and relabels in the order asked for.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data_fixtures.h"
#include "hep2/pipeline/cell_list.h"

namespace hep2 {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using test::TempDir;

TEST(CellList, OpensAManifestFileOrAFolderHoldingOne) {
  TempDir dir;
  test::write_image(dir.file("Cls/x.png"), test::gradient8(4, 4));
  // The manifest's labels differ from the folder names, so we can tell which reader ran.
  test::write_text(dir.file("manifest.csv"), "path,label\nCls/x.png,from_manifest\n");
  EXPECT_EQ(open_cell_list(dir.file("manifest.csv")).class_names, (std::vector<std::string>{"from_manifest"}));
  EXPECT_EQ(open_cell_list(dir.str()).class_names, (std::vector<std::string>{"from_manifest"}));
  fs::remove(dir.file("manifest.csv"));
  EXPECT_EQ(open_cell_list(dir.str()).class_names, (std::vector<std::string>{"Cls"}));
}

TEST(CellList, UnknownLayoutsAreErrorsThatExplain) {
  TempDir dir;
  std::string message = error_of([&] { open_cell_list(dir.str()); });
  EXPECT_NE(message.find(dir.str()), std::string::npos) << message;
  EXPECT_NE(message.find("manifest.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("class folders"), std::string::npos) << message;
  EXPECT_NE(message.find("ICPR2012"), std::string::npos) << message;

  message = error_of([&] { open_cell_list(dir.str() + "/missing_data"); });
  EXPECT_NE(message.find("missing_data"), std::string::npos) << message;

  test::write_text(dir.file("list.txt"), "x");
  message = error_of([&] { open_cell_list(dir.file("list.txt")); });
  EXPECT_NE(message.find("list.txt"), std::string::npos) << message;
}

CellList three_classes() {
  CellList list;
  list.source = "fixture.csv";
  list.class_names = {"Centromere", "Homogeneous", "Speckled"};
  for (int i = 0; i < 9; ++i) list.cells.push_back({std::string("c").append(std::to_string(i)), i % 3, "", "", ""});
  list.cells.push_back({"unlabelled", -1, "", "", ""});
  list.has_groups = true;
  return list;
}

TEST(CellList, KeepClassesRelabelsInTheGivenOrder) {
  const CellList kept = keep_classes(three_classes(), {"Speckled", "centromere"});  // case-insensitive
  EXPECT_EQ(kept.class_names, (std::vector<std::string>{"Speckled", "Centromere"}));
  EXPECT_TRUE(kept.has_groups);
  ASSERT_EQ(kept.cells.size(), 6u);
  for (const CellRecord& cell : kept.cells) {
    const int original = std::stoi(cell.path.substr(1)) % 3;  // 0 Centromere, 2 Speckled
    EXPECT_EQ(cell.label, original == 2 ? 0 : 1) << cell.path;
  }
}

TEST(CellList, KeepClassesRejectsUnknownAndRepeatedNames) {
  std::string message = error_of([] { keep_classes(three_classes(), {"Golgi"}); });
  EXPECT_NE(message.find("Golgi"), std::string::npos) << message;
  EXPECT_NE(message.find("Centromere, Homogeneous, Speckled"), std::string::npos) << message;
  EXPECT_NE(message.find("fixture.csv"), std::string::npos) << message;
  message = error_of([] { keep_classes(three_classes(), {"Speckled", "speckled"}); });
  EXPECT_NE(message.find("twice"), std::string::npos) << message;
}

TEST(CellList, CanonicalSplitNames) {
  EXPECT_EQ(canonical_split(" Train "), "train");
  EXPECT_EQ(canonical_split("VALIDATION"), "val");
  EXPECT_EQ(canonical_split("testing"), "test");
  EXPECT_EQ(canonical_split("dev"), "");
}

}  // namespace
}  // namespace hep2
