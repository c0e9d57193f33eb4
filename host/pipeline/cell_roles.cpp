// cell_roles: the labelled and unlabelled cells of a split, and the test cells kept out of the
// unlabelled ones.
#include "hep2/pipeline/cell_roles.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <set>

#include "hep2/core/error.h"
#include "hep2/pipeline/dataset.h"
#include "hep2/pipeline/training_subset.h"

namespace hep2 {

namespace fs = std::filesystem;

std::vector<int> labelled_subset(const std::vector<int>& train, const std::vector<int32_t>& labels,
                                 const std::vector<std::string>& groups, int train_cells,
                                 uint64_t seed) {
  if (train_cells <= 0) return train;
  Dataset cells;  // what training_subset reads: the classes and specimens of the cells
  cells.labels = labels;
  cells.groups = groups;
  return training_subset(cells, train, size_t(train_cells), seed);
}

std::vector<int> unlabelled_subset(const std::vector<int>& train, const std::vector<int>& labelled,
                                   const std::vector<int>& test, bool with_train, bool with_test) {
  std::vector<int> out;
  if (with_train) {
    std::vector<int> a = train, b = labelled;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  }
  if (with_test) out.insert(out.end(), test.begin(), test.end());
  return out;
}

void refuse_test_cells(const std::string& source, const std::vector<std::string>& unlabelled_paths,
                       const std::vector<std::string>& data_paths, const std::vector<int>& test,
                       bool transductive) {
  if (transductive) return;
  std::set<std::string> test_files;
  for (int i : test)
    if (size_t(i) < data_paths.size()) test_files.insert(fs::weakly_canonical(data_paths[size_t(i)]).string());
  for (const std::string& p : unlabelled_paths)
    if (test_files.count(fs::weakly_canonical(p).string()))
      fail("{unlabeled} ", source, ": ", p, " is a test cell of this evaluation; leave the "
           "test cells out of the unlabelled cells, or give {transductive} (the report then says so)");
}

}  // namespace hep2
