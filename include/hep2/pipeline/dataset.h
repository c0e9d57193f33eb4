// A dataset resident in memory: every cell preprocessed once into one contiguous N x 1 x H x W
// float tensor in [0, 1], ready to upload to the device in one copy, with labels and the
// per-cell metadata (path, split, group) that splits and reports need. No OpenCV here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hep2/core/shape.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/preprocess.h"

namespace hep2 {

struct Dataset {
  Shape4 shape;                   // n x 1 x h x w
  std::vector<float> images;      // shape.count() values, cell i at i * h * w
  std::vector<int32_t> labels;    // n; -1 when unknown (classify)
  std::vector<std::string> class_names;
  // n entries each; empty strings when the data has no such information.
  std::vector<std::string> paths, splits, groups;

  size_t size() const { return labels.size(); }
  const float* image(size_t i) const { return images.data() + i * shape.per_sample(); }
  float* image(size_t i) { return images.data() + i * shape.per_sample(); }
};

// Called with (cells done, total) from the calling thread while loading.
using Progress = std::function<void(size_t done, size_t total)>;

// Decodes and preprocesses every cell (OpenMP-parallel; the result does not depend on the
// thread count). Throws the Error of the first failing cell in list order (it names the file).
Dataset load_dataset(const CellList& list, const PreprocessOptions& options, const Progress& progress = {});

// The cells at `indices`, in that order (indices may repeat). Throws on an index out of range.
Dataset subset(const Dataset& data, const std::vector<int>& indices);

}  // namespace hep2
