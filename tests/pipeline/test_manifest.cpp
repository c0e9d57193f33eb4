// ManifestReader: CSV manifests in the dialects people actually write (BOM, CRLF, ';' and tab,
// quoted fields, any column order and case) and the errors for broken ones, each of which must
// name the file (and the line, where there is one).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data_fixtures.h"
#include "hep2/pipeline/manifest.h"

namespace hep2 {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using test::TempDir;

// Creates the image files a manifest refers to (their content is irrelevant to the reader).
void touch_images(const TempDir& dir, const std::vector<std::string>& relative) {
  for (const auto& r : relative) test::write_image(dir.file(r), test::gradient8(4, 4));
}

std::string normal(const std::string& p) { return fs::path(p).lexically_normal().string(); }

TEST(ManifestReader, ReadsColumnsByNameAndSortsClasses) {
  TempDir dir;
  touch_images(dir, {"img/a1.png", "img/b1.png", "img/a2.png", "masks/a1_mask.png", "img/c1.png"});
  const std::string csv = dir.file("data/manifest.csv");
  // Columns out of the usual order, an extra column, labels first seen as b, a, c.
  test::write_text(csv,
                   "group,extra,label,path,mask,split\n"
                   "p1,x,beta,../img/b1.png,,train\n"
                   "p1,y,alpha,../img/a1.png,../masks/a1_mask.png,val\n"
                   "p2,z,alpha,../img/a2.png,,TEST\n"
                   "p3,w,gamma," + dir.file("img/c1.png") + ",,Training\n");
  const CellList list = read_manifest(csv);
  EXPECT_EQ(list.source, csv);
  ASSERT_EQ(list.class_names, (std::vector<std::string>{"alpha", "beta", "gamma"}));
  ASSERT_EQ(list.cells.size(), 4u);
  EXPECT_TRUE(list.has_split);
  EXPECT_TRUE(list.has_groups);
  EXPECT_EQ(list.cells[0].label, 1);
  EXPECT_EQ(list.cells[1].label, 0);
  EXPECT_EQ(list.cells[2].label, 0);
  EXPECT_EQ(list.cells[3].label, 2);
  // Relative paths are resolved against the manifest's folder; absolute ones are kept.
  EXPECT_EQ(normal(list.cells[0].path), normal(dir.file("img/b1.png")));
  EXPECT_EQ(normal(list.cells[3].path), normal(dir.file("img/c1.png")));
  EXPECT_EQ(list.cells[0].mask, "");
  EXPECT_EQ(normal(list.cells[1].mask), normal(dir.file("masks/a1_mask.png")));
  EXPECT_EQ(list.cells[0].split, "train");
  EXPECT_EQ(list.cells[1].split, "val");
  EXPECT_EQ(list.cells[2].split, "test");
  EXPECT_EQ(list.cells[3].split, "train");
  EXPECT_EQ(list.cells[0].group, "p1");
  EXPECT_EQ(list.cells[2].group, "p2");
}

TEST(ManifestReader, OptionalColumnsAbsent) {
  TempDir dir;
  touch_images(dir, {"x.png"});
  test::write_text(dir.file("m.csv"), "path,label\nx.png,only\n");
  const CellList list = read_manifest(dir.file("m.csv"));
  EXPECT_FALSE(list.has_split);
  EXPECT_FALSE(list.has_groups);
  ASSERT_EQ(list.cells.size(), 1u);
  EXPECT_EQ(list.cells[0].mask, "");
  EXPECT_EQ(list.cells[0].split, "");
}

TEST(ManifestReader, IntegerLabelsSortByValue) {
  TempDir dir;
  touch_images(dir, {"a.png", "b.png", "c.png"});
  test::write_text(dir.file("m.csv"), "path,label\na.png,10\nb.png,2\nc.png,1\n");
  const CellList list = read_manifest(dir.file("m.csv"));
  ASSERT_EQ(list.class_names, (std::vector<std::string>{"1", "2", "10"}));
  EXPECT_EQ(list.cells[0].label, 2);
  EXPECT_EQ(list.cells[1].label, 1);
  EXPECT_EQ(list.cells[2].label, 0);
}

// The same two cells written in several dialects must read identically.
TEST(ManifestReader, DialectsBomCrlfSemicolonTabQuoted) {
  TempDir dir;
  touch_images(dir, {"with,comma.png", "with \"quote\".png"});
  const std::vector<std::string> dialects = {
      "\xEF\xBB\xBFpath,label\r\n\"with,comma.png\",Homogeneous\r\n\"with \"\"quote\"\".png\",\"Cen,tro\"\r\n",
      "Path;LABEL\nwith,comma.png;Homogeneous\n\"with \"\"quote\"\".png\";Cen,tro\n",
      "path\tlabel\nwith,comma.png\tHomogeneous\nwith \"quote\".png\tCen,tro\n",
      "\xEF\xBB\xBF \"path\" ; label \r\n\r\nwith,comma.png ; Homogeneous \r\n"
      "\"with \"\"quote\"\".png\" ; \"Cen,tro\"\r\n\r\n",
  };
  for (size_t d = 0; d < dialects.size(); ++d) {
    const std::string csv = dir.file(std::string("m").append(std::to_string(d)).append(".csv"));
    test::write_text(csv, dialects[d]);
    const CellList list = read_manifest(csv);
    ASSERT_EQ(list.cells.size(), 2u) << "dialect " << d;
    EXPECT_EQ(list.class_names, (std::vector<std::string>{"Cen,tro", "Homogeneous"})) << "dialect " << d;
    EXPECT_EQ(fs::path(list.cells[0].path).filename().string(), "with,comma.png") << "dialect " << d;
    EXPECT_EQ(fs::path(list.cells[1].path).filename().string(), "with \"quote\".png") << "dialect " << d;
    EXPECT_EQ(list.cells[0].label, 1) << "dialect " << d;
    EXPECT_EQ(list.cells[1].label, 0) << "dialect " << d;
  }
}

TEST(ManifestReader, QuotedFieldMaySpanLinesAndLineNumbersFollow) {
  const CsvTable table = parse_csv("path,label,note\na.png,x,\"two\nlines\"\nb.png,y,\n", "t.csv");
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][2], "two\nlines");
  EXPECT_EQ(table.lines[0], 2);
  EXPECT_EQ(table.lines[1], 4);  // the record after the two-line field starts on line 4
  EXPECT_EQ(table.column("NOTE"), 2);
  EXPECT_EQ(table.column("absent"), -1);
}

TEST(ManifestReader, MissingRequiredColumnNamesFileAndColumns) {
  TempDir dir;
  touch_images(dir, {"a.png"});
  test::write_text(dir.file("nolabel.csv"), "path,klass\na.png,x\n");
  const std::string message = error_of([&] { read_manifest(dir.file("nolabel.csv")); });
  EXPECT_NE(message.find("nolabel.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("'label'"), std::string::npos) << message;
  EXPECT_NE(message.find("klass"), std::string::npos) << message;  // the columns it has

  test::write_text(dir.file("nopath.csv"), "file,label\na.png,x\n");
  const std::string no_path = error_of([&] { read_manifest(dir.file("nopath.csv")); });
  EXPECT_NE(no_path.find("nopath.csv"), std::string::npos) << no_path;
  EXPECT_NE(no_path.find("'path'"), std::string::npos) << no_path;
}

TEST(ManifestReader, EmptyLabelNamesTheLine) {
  TempDir dir;
  touch_images(dir, {"a.png", "b.png"});
  test::write_text(dir.file("m.csv"), "path,label\na.png,x\nb.png,\n");
  const std::string message = error_of([&] { read_manifest(dir.file("m.csv")); });
  EXPECT_NE(message.find("m.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("label is empty"), std::string::npos) << message;
}

TEST(ManifestReader, MissingImageOrMaskNamesTheLine) {
  TempDir dir;
  touch_images(dir, {"a.png"});
  test::write_text(dir.file("m.csv"), "path,label\na.png,x\nghost.png,x\n");
  std::string message = error_of([&] { read_manifest(dir.file("m.csv")); });
  EXPECT_NE(message.find("m.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("ghost.png"), std::string::npos) << message;

  test::write_text(dir.file("k.csv"), "path,label,mask\na.png,x,no_mask.png\n");
  message = error_of([&] { read_manifest(dir.file("k.csv")); });
  EXPECT_NE(message.find("k.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("no_mask.png"), std::string::npos) << message;
}

TEST(ManifestReader, BadSplitValueNamesTheLine) {
  TempDir dir;
  touch_images(dir, {"a.png"});
  test::write_text(dir.file("m.csv"), "path,label,split\na.png,x,holdout\n");
  const std::string message = error_of([&] { read_manifest(dir.file("m.csv")); });
  EXPECT_NE(message.find("m.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("holdout"), std::string::npos) << message;
}

TEST(ManifestReader, EmptyHeaderOnlyAndUnclosedQuoteAreErrors) {
  TempDir dir;
  test::write_text(dir.file("empty.csv"), "");
  EXPECT_NE(error_of([&] { read_manifest(dir.file("empty.csv")); }).find("empty.csv"), std::string::npos);
  test::write_text(dir.file("header.csv"), "path,label\r\n");
  EXPECT_NE(error_of([&] { read_manifest(dir.file("header.csv")); }).find("header.csv"), std::string::npos);
  touch_images(dir, {"a.png"});
  test::write_text(dir.file("open.csv"), "path,label\n\"a.png,x\n");
  const std::string message = error_of([&] { read_manifest(dir.file("open.csv")); });
  EXPECT_NE(message.find("open.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("not closed"), std::string::npos) << message;
}

TEST(ManifestReader, MissingManifestIsAnErrorNamingIt) {
  TempDir dir;
  const std::string message = error_of([&] { read_manifest(dir.file("absent_manifest.csv")); });
  EXPECT_NE(message.find("absent_manifest.csv"), std::string::npos) << message;
}

}  // namespace
}  // namespace hep2
