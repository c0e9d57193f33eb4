// Feature rows of two sets of cells in one: the features of further cells (the unlabelled cells
// of a folder or manifest) appended after a run's own, view by view, so that the classifier's
// row arithmetic (row v * count + i) holds for the joined set.
#pragma once
#include "hep2/backend/backend.h"
#include "hep2/pipeline/training.h"

namespace hep2 {

// a's cells then b's, in each view's block: row v * (a.count + b.count) + i is a's row
// v * a.count + i for i < a.count, else b's row v * b.count + (i - a.count). a and b must have the
// same dim and views. Seconds add up; the speed is a's.
DeviceFeatures append_rows(Backend& be, const DeviceFeatures& a, const DeviceFeatures& b);

}  // namespace hep2
