// cell_roles: which training cells are labelled (--train-cells), which cells are unlabelled
// (--unlabeled train/test), and the refusal of unlabelled cells that are test cells.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "hep2/core/error.h"
#include "hep2/pipeline/cell_roles.h"
#include "hep2/pipeline/dataset.h"
#include "hep2/pipeline/training_subset.h"

namespace hep2 {
namespace {

namespace fs = std::filesystem;

TEST(CellRoles, LabelledSubsetIsTheTrainingCellsWithoutTrainCells) {
  const std::vector<int> train = {4, 0, 2};
  EXPECT_EQ(labelled_subset(train, {0, 1, 0, 1, 0}, {}, 0, 1), train);
  EXPECT_EQ(labelled_subset(train, {0, 1, 0, 1, 0}, {}, -1, 1), train);
}

TEST(CellRoles, LabelledSubsetIsTrainingSubsetOfTrainCells) {
  std::vector<int32_t> labels;
  std::vector<std::string> groups;
  std::vector<int> train;
  for (int i = 0; i < 300; ++i) {
    labels.push_back(i % 3);
    groups.push_back("s" + std::to_string(i / 10));
    train.push_back(i);
  }
  Dataset d;
  d.labels = labels;
  d.groups = groups;
  const std::vector<int> got = labelled_subset(train, labels, groups, 60, 9);
  EXPECT_EQ(got, training_subset(d, train, 60, 9));
  EXPECT_LT(got.size(), train.size());
  EXPECT_NE(got, labelled_subset(train, labels, groups, 60, 10));  // seeded
}

TEST(CellRoles, UnlabelledSubsetIsTrainMinusLabelledThenTest) {
  const std::vector<int> train = {9, 1, 5, 3, 7}, labelled = {5, 1}, test = {8, 2, 6};
  EXPECT_EQ(unlabelled_subset(train, labelled, test, true, false), (std::vector<int>{3, 7, 9}));
  EXPECT_EQ(unlabelled_subset(train, labelled, test, false, true), test);
  EXPECT_EQ(unlabelled_subset(train, labelled, test, true, true), (std::vector<int>{3, 7, 9, 8, 2, 6}));
  EXPECT_TRUE(unlabelled_subset(train, labelled, test, false, false).empty());
  EXPECT_TRUE(unlabelled_subset(train, train, {}, true, true).empty());
}

TEST(CellRoles, UnlabelledTestCellsAreRefusedUnlessTransductive) {
  const fs::path dir = fs::temp_directory_path() / ("hep2_cell_roles_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* n : {"a.png", "b.png", "c.png"}) std::ofstream(dir / n) << "x";
  const std::vector<std::string> data = {(dir / "a.png").string(), (dir / "b.png").string(),
                                         (dir / "c.png").string()};
  const std::vector<int> test = {1};
  // The same file by another spelling is still the test cell.
  const std::string b_again = (dir / "." / "b.png").string();
  try {
    refuse_test_cells("extra", {data[0], b_again}, data, test, false);
    ADD_FAILURE() << "a test cell among the unlabelled cells was not refused";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "{unlabeled} extra: " + b_again + " is a test cell of this evaluation; leave the test "
              "cells out of the unlabelled cells, or give {transductive} (the report then says so)");
  }
  EXPECT_NO_THROW(refuse_test_cells("extra", {data[0], b_again}, data, test, true));
  EXPECT_NO_THROW(refuse_test_cells("extra", {data[0], data[2]}, data, test, false));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hep2
