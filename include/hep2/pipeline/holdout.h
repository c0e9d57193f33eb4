// The early-stopping cells of a classifier: a slice of the training cells, never the test cells.
// The slice should be as foreign to the classifier as the test cells are: cells of a specimen it
// trains on are easy, so a random slice keeps improving long after the test cells stop (measured
// on I3A, docs/accuracy.md). Holdout::Specimen holds out whole groups when the data names them;
// otherwise the last cells of each class in the data's order, since datasets store a specimen's
// cells together (consecutive file numbers). Holdout::Random is a seeded stratified slice.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hep2/pipeline/method_kinds.h"

namespace hep2 {

struct HoldoutOptions {
  double fraction = 0.1;  // of the training cells; 0: no early-stopping cells
  Holdout mode = Holdout::Specimen;
};

struct HoldoutSplit {
  std::vector<int> fit, val;  // both sorted
  size_t val_groups = 0;      // specimens in val (Holdout::Specimen with groups)
  std::string off;            // why there is no slice although one was asked for; "" otherwise
};

// Early stopping on too few specimens stops on their particulars (a few hundred cells from twenty
// slides leave one or two specimens to hold out, and stopping then is worse than none: measured on
// a 721-cell contest set, docs/accuracy.md). Holdout::Specimen therefore gives no slice (fit =
// train: the classifier trains its whole epoch budget) when the slice would hold fewer than
// kMinHoldoutGroups specimens, or, without groups, fewer than kMinHoldoutCellsPerClass cells of
// some class (less than a few specimens' worth); `off` says so.
inline constexpr size_t kMinHoldoutGroups = 3;
inline constexpr size_t kMinHoldoutCellsPerClass = 30;

// The slice for ensemble member `member` (0-based; members take different slices) of a
// classifier seeded with `seed`. labels and groups describe every cell (groups may be empty or
// hold empty names: no groups); train indexes them.
HoldoutSplit hold_out_validation(const std::vector<int>& train, const std::vector<int32_t>& labels,
                                 const std::vector<std::string>& groups, int classes,
                                 const HoldoutOptions& options, int member, uint64_t seed);

}  // namespace hep2
