// Loading a cell list into one preprocessed tensor, in parallel and in a deterministic order.
#include "hep2/pipeline/dataset.h"

#include <algorithm>
#include <exception>

#include <opencv2/core.hpp>

#include "hep2/core/error.h"
#include "hep2/io/image_io.h"

namespace hep2 {

Dataset load_dataset(const CellList& list, const PreprocessOptions& options, const Progress& progress) {
  if (list.cells.empty()) fail("dataset '", list.source, "' holds no cells");
  if (options.height <= 0 || options.width <= 0)
    fail("preprocessing size ", options.width, "x", options.height, " is not positive");
  const size_t n = list.cells.size();
  Dataset data;
  data.shape = {int(n), 1, options.height, options.width};
  data.images.resize(data.shape.count());
  data.labels.resize(n);
  data.class_names = list.class_names;
  data.paths.resize(n);
  data.splits.resize(n);
  data.groups.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const CellRecord& cell = list.cells[i];
    data.labels[i] = cell.label;
    data.paths[i] = cell.path;
    data.splits[i] = cell.split;
    data.groups[i] = cell.group;
  }

  // Chunks keep the progress callback on the calling thread and let the first error (in list
  // order) stop the load early.
  const long chunk = 256;
  std::vector<std::exception_ptr> errors(size_t(std::min<long>(chunk, long(n))));
  for (long start = 0; start < long(n); start += chunk) {
    const long end = std::min<long>(start + chunk, long(n));
    std::fill(errors.begin(), errors.end(), nullptr);
#pragma omp parallel for schedule(dynamic, 4)
    for (long i = start; i < end; ++i) {
      try {
        const CellRecord& cell = list.cells[size_t(i)];
        const cv::Mat image = read_image(cell.path);
        cv::Mat mask;
        if (options.use_mask && !cell.mask.empty()) mask = read_mask(cell.mask, image.size(), cell.path);
        preprocess_cell(image, mask, options, data.image(size_t(i)), cell.path);
      } catch (...) {
        errors[size_t(i - start)] = std::current_exception();
      }
    }
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
    if (progress) progress(size_t(end), n);
  }
  return data;
}

namespace {
// A Dataset built by hand may leave the metadata vectors empty.
std::string entry(const std::vector<std::string>& v, size_t i) { return i < v.size() ? v[i] : std::string(); }
}  // namespace

Dataset subset(const Dataset& data, const std::vector<int>& indices) {
  Dataset out;
  out.shape = data.shape;
  out.shape.n = int(indices.size());
  out.class_names = data.class_names;
  const size_t per = data.shape.per_sample();
  out.images.resize(out.shape.count());
  out.labels.reserve(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    const int i = indices[k];
    if (i < 0 || size_t(i) >= data.size())
      fail("subset index ", i, " is out of range for a dataset of ", data.size(), " cells");
    std::copy(data.image(size_t(i)), data.image(size_t(i)) + per, out.images.begin() + long(k * per));
    out.labels.push_back(data.labels[size_t(i)]);
    out.paths.push_back(entry(data.paths, size_t(i)));
    out.splits.push_back(entry(data.splits, size_t(i)));
    out.groups.push_back(entry(data.groups, size_t(i)));
  }
  return out;
}

}  // namespace hep2
