// Cells without labels: what --unlabeled names (the keywords train and test, or a path), and the
// images open_unlabelled finds in one file, a flat folder (masks paired, never taken as cells), a
// manifest without labels or a labelled layout (its labels kept); bad paths are refused naming
// them and what to give.
#include <gtest/gtest.h>

#include <string>

#include "data_fixtures.h"
#include "hep2/pipeline/unlabelled_cells.h"

namespace hep2 {
namespace {

using test::error_of;
using test::gradient8;
using test::TempDir;
using test::write_image;
using test::write_text;

TEST(UnlabelledCells, KeywordsNameTheRunsOwnCellsAndAnythingElseIsAPath) {
  const UnlabelledSources none = unlabelled_sources("");
  EXPECT_FALSE(none.train || none.test || !none.path.empty());
  EXPECT_TRUE(unlabelled_sources("train").train);
  EXPECT_FALSE(unlabelled_sources("train").test);
  for (const char* both : {"train,test", "test,train"}) {
    const UnlabelledSources u = unlabelled_sources(both);
    EXPECT_TRUE(u.train && u.test && u.path.empty()) << both;
  }
  // A folder called train, or a word beside the keywords, is a path: never half-read as keywords.
  for (const char* path : {"data/train", "train,more", "./test", "trains"}) {
    const UnlabelledSources u = unlabelled_sources(path);
    EXPECT_FALSE(u.train || u.test) << path;
    EXPECT_EQ(u.path, path);
  }
}

TEST(UnlabelledCells, AFlatFolderGivesItsImagesInNameOrderWithTheirMasks) {
  TempDir dir;
  write_image(dir.file("cells/b.png"), gradient8(8, 8));
  write_image(dir.file("cells/a.tif"), gradient8(8, 8));
  write_image(dir.file("cells/a_mask.png"), gradient8(8, 8));
  write_text(dir.file("cells/notes.txt"), "not an image");
  const CellList list = open_unlabelled(dir.str() + "/cells");
  ASSERT_EQ(list.cells.size(), 2u);
  EXPECT_EQ(list.cells[0].path, dir.file("cells/a.tif"));
  EXPECT_EQ(list.cells[0].mask, dir.file("cells/a_mask.png"));
  EXPECT_EQ(list.cells[1].path, dir.file("cells/b.png"));
  EXPECT_EQ(list.cells[1].mask, "");
  for (const CellRecord& c : list.cells) EXPECT_EQ(c.label, -1);
  // One image alone, with its mask where there is one.
  const CellList one = open_unlabelled(dir.file("cells/b.png"));
  ASSERT_EQ(one.cells.size(), 1u);
  EXPECT_EQ(one.cells[0].label, -1);
  EXPECT_EQ(one.cells[0].mask, "");
  EXPECT_EQ(open_unlabelled(dir.file("cells/a.tif")).cells[0].mask, dir.file("cells/a_mask.png"));
}

TEST(UnlabelledCells, AFlatFolderFindsMasksAsClassFoldersDo) {
  // I3A names masks <ID>_Mask.png, in a masks folder or beside the cells.
  TempDir dir;
  write_image(dir.file("cells/07924.png"), gradient8(8, 8));
  write_image(dir.file("cells/masks/07924_Mask.png"), gradient8(8, 8));
  write_image(dir.file("cells/07925.png"), gradient8(8, 8));
  write_image(dir.file("cells/07925_Mask.png"), gradient8(8, 8));
  const CellList list = open_unlabelled(dir.str() + "/cells");
  ASSERT_EQ(list.cells.size(), 2u);  // the masks folder is not a class, a mask is not a cell
  EXPECT_EQ(list.cells[0].mask, dir.file("cells/masks/07924_Mask.png"));
  EXPECT_EQ(list.cells[1].mask, dir.file("cells/07925_Mask.png"));
  EXPECT_TRUE(list.class_names.empty());
}

TEST(UnlabelledCells, AFolderOfClassFoldersIsReadAsTrainingDataIs) {
  TempDir dir;
  write_image(dir.file("set/Golgi/1.png"), gradient8(8, 8));
  write_image(dir.file("set/Centromere/2.png"), gradient8(8, 8));
  const CellList list = open_unlabelled(dir.str() + "/set");
  ASSERT_EQ(list.cells.size(), 2u);
  EXPECT_EQ(list.class_names.size(), 2u);
}

TEST(UnlabelledCells, AManifestMayLeaveTheLabelsOut) {
  TempDir dir;
  write_image(dir.file("set/img/1.png"), gradient8(8, 8));
  write_image(dir.file("set/img/2.png"), gradient8(8, 8));
  write_image(dir.file("set/img/2_m.png"), gradient8(8, 8));
  write_text(dir.file("set/manifest.csv"), "path,mask\nimg/1.png,\nimg/2.png,img/2_m.png\n");
  for (const std::string& given : {dir.file("set/manifest.csv"), dir.str() + "/set"}) {
    const CellList list = open_unlabelled(given);
    ASSERT_EQ(list.cells.size(), 2u) << given;
    EXPECT_TRUE(list.class_names.empty()) << given;
    for (const CellRecord& c : list.cells) EXPECT_EQ(c.label, -1) << given;
    EXPECT_EQ(list.cells[1].mask, dir.file("set/img/2_m.png")) << given;
  }
  // Training data still needs the classes, and says which column is missing.
  const std::string e = error_of([&] { open_cell_list(dir.file("set/manifest.csv")); });
  EXPECT_NE(e.find("has no column 'label'"), std::string::npos) << e;
  // A label column, where there is one, is read as for training.
  write_text(dir.file("set/labelled.csv"), "path,label\nimg/1.png,Golgi\nimg/2.png,Centromere\n");
  const CellList labelled = open_unlabelled(dir.file("set/labelled.csv"));
  ASSERT_EQ(labelled.class_names.size(), 2u);
  EXPECT_EQ(labelled.class_names[labelled.cells[0].label], "Golgi");
  // The extension is matched in any case, as image extensions are.
  write_text(dir.file("set/CELLS.CSV"), "path\nimg/1.png\n");
  const CellList upper = open_unlabelled(dir.file("set/CELLS.CSV"));
  ASSERT_EQ(upper.cells.size(), 1u);
  EXPECT_EQ(upper.cells[0].path, dir.file("set/img/1.png"));
}

TEST(UnlabelledCells, BadPathsAreRefusedSayingWhatToGive) {
  TempDir dir;
  const std::string missing = dir.str() + "/nowhere";
  const std::string e1 = error_of([&] { open_unlabelled(missing); });
  EXPECT_NE(e1.find(missing), std::string::npos) << e1;
  EXPECT_NE(e1.find("a folder of images or a manifest CSV"), std::string::npos) << e1;
  write_text(dir.file("notes.txt"), "x");
  const std::string e2 = error_of([&] { open_unlabelled(dir.file("notes.txt")); });
  EXPECT_NE(e2.find("not an image file"), std::string::npos) << e2;
  write_text(dir.file("empty/notes.txt"), "x");
  const std::string e3 = error_of([&] { open_unlabelled(dir.str() + "/empty"); });
  EXPECT_NE(e3.find("holds no images"), std::string::npos) << e3;
}

}  // namespace
}  // namespace hep2
