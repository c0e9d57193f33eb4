// The roles of a run's cells besides the test cells: the labelled cells the classifier learns
// from (--train-cells of the training cells), the unlabelled ones the DCAE and self-training may
// also read (--unlabeled train/test), and the refusal of unlabelled cells from a folder or
// manifest that are test cells of the evaluation (unless --transductive).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hep2 {

// The labelled training cells: `train` itself when train_cells <= 0, else training_subset's
// about-`train_cells` whole specimens of it (labels/groups: of every cell, indexed by `train`).
std::vector<int> labelled_subset(const std::vector<int>& train, const std::vector<int32_t>& labels,
                                 const std::vector<std::string>& groups, int train_cells,
                                 uint64_t seed);

// The unlabelled cells of the split: with_train, the training cells not in `labelled` (sorted);
// then, with_test, the test cells in their order.
std::vector<int> unlabelled_subset(const std::vector<int>& train, const std::vector<int>& labelled,
                                   const std::vector<int>& test, bool with_train, bool with_test);

// Throws when one of `unlabelled_paths` (the cells of --unlabeled `source`) is the same file as
// a test cell (data_paths[i] for i in `test`), unless `transductive`: the figures would then have
// seen the cells they are scored on.
void refuse_test_cells(const std::string& source, const std::vector<std::string>& unlabelled_paths,
                       const std::vector<std::string>& data_paths, const std::vector<int>& test,
                       bool transductive);

}  // namespace hep2
