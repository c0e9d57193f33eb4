// The cells a command works on, preprocessed once and resident on the backend: at the model's
// input size, at any other size a reading asks for (made from the same source on first use: the
// same cells in the same order), as gradient-magnitude images (the hybrid method's second
// DCAE), and under a photometric change (feature augmentation). Several runs of one command (the folds and seeds of `cv`) share one set.
#pragma once
#include <functional>
#include <map>
#include <memory>

#include "hep2/backend/backend.h"
#include "hep2/pipeline/dataset.h"
#include "hep2/pipeline/training.h"

namespace hep2 {

// The cells preprocessed with the given options (files, or a synthetic generator): all of them
// when `rows` is null, else only cells *rows (indices into all of them), in that order.
using CellSource = std::function<Dataset(const PreprocessOptions&, const std::vector<int>* rows)>;

// The source of the cells of `list` (read from their files each time it is asked).
CellSource cells_of(CellList list, const Progress& progress = {});

class ResidentCells {
 public:
  // Loads the cells at `base` options through `source` and uploads them.
  ResidentCells(Backend& be, CellSource source, const PreprocessOptions& base);
  // Cells already loaded (no other size can be made without a source).
  ResidentCells(Backend& be, Dataset data, const PreprocessOptions& base, CellSource source = {});

  const Dataset& data() const { return data_; }
  int size() const { return base_.height; }
  const DeviceImages& images() const { return *images_; }
  // The cells at input size `size` (square): images() for size(), others made on first use.
  const DeviceImages& at(int size);
  const DeviceImages& gradient_magnitudes();
  // Cells `rows` at input size `size` under the photometric change p, made now and not kept:
  // feature augmentation reads the labelled cells (only those) once per change and reading.
  DeviceImages copies(int size, const Photometric& p, const std::vector<int>& rows) const;

 private:
  Backend& be_;
  CellSource source_;
  PreprocessOptions base_;
  Dataset data_;
  std::unique_ptr<DeviceImages> images_, gradients_;
  std::map<int, std::unique_ptr<DeviceImages>> other_sizes_;
};

}  // namespace hep2
