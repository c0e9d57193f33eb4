// Two feature sets in one, keeping the classifier's row arithmetic (row v * count + i): the
// features of further cells (the unlabelled cells of a folder or manifest) appended after a run's
// own, view by view; or two readings of the same cells side by side (the hybrid method's DCAEs).
#pragma once
#include "hep2/backend/backend.h"
#include "hep2/pipeline/training.h"

namespace hep2 {

// a's cells then b's, in each view's block: row v * (a.count + b.count) + i is a's row
// v * a.count + i for i < a.count, else b's row v * b.count + (i - a.count). a and b must have the
// same dim and views. Seconds add up; the speed is a's.
DeviceFeatures append_rows(Backend& be, const DeviceFeatures& a, const DeviceFeatures& b);

// Each row of a followed by the same row of b: rows x (a.dim + b.dim). a and b must have the same
// cells and views. Seconds add up; the speed is that of the two extractions together.
DeviceFeatures side_by_side(Backend& be, const DeviceFeatures& a, const DeviceFeatures& b);

}  // namespace hep2
