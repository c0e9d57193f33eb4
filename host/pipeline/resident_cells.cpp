// ResidentCells: one upload per size the command reads.
#include "hep2/pipeline/resident_cells.h"

#include <algorithm>

#include "hep2/core/error.h"
#include "hep2/pipeline/gradient_images.h"

namespace hep2 {

CellSource cells_of(CellList list, const Progress& progress) {
  return [list = std::move(list), progress](const PreprocessOptions& pp, const std::vector<int>* rows) {
    return load_dataset(rows ? select_cells(list, *rows) : list, pp, progress);
  };
}

ResidentCells::ResidentCells(Backend& be, CellSource source, const PreprocessOptions& base)
    : ResidentCells(be, source(base, nullptr), base, source) {}

ResidentCells::ResidentCells(Backend& be, Dataset data, const PreprocessOptions& base,
                             CellSource source)
    : be_(be), source_(std::move(source)), base_(base), data_(std::move(data)) {
  images_ = std::make_unique<DeviceImages>(
      upload_images(be_, data_.shape, data_.images, data_.labels));
}

const DeviceImages& ResidentCells::at(int size) {
  if (size == base_.height) return *images_;
  auto& d = other_sizes_[size];
  if (!d) {
    HEP2_CHECK(source_, "no cells to read at ", size, "x", size);
    PreprocessOptions pp = base_;
    pp.height = pp.width = size;
    Dataset s = source_(pp, nullptr);
    HEP2_CHECK(s.size() == data_.size() && s.labels == data_.labels, "the cells at ", size, "x",
               size, " are not those at ", base_.height, "x", base_.width);
    d = std::make_unique<DeviceImages>(upload_images(be_, s.shape, s.images, s.labels));
  }
  return *d;
}

const DeviceImages& ResidentCells::gradient_magnitudes() {
  if (!gradients_) {
    std::vector<float> g = gradient_magnitude_images(data_.shape, data_.images);
    gradients_ =
        std::make_unique<DeviceImages>(upload_images(be_, data_.shape, g, data_.labels));
  }
  return *gradients_;
}

DeviceImages ResidentCells::copies(int size, const Photometric& p,
                                   const std::vector<int>& rows) const {
  HEP2_CHECK(source_, "no cells to read under ", to_string(p));
  PreprocessOptions pp = base_;
  pp.height = pp.width = size;
  pp.photometric = p;
  for (int i : rows)
    HEP2_CHECK(i >= 0 && size_t(i) < data_.size(), "cell ", i, " of ", data_.size());
  const Dataset s = source_(pp, &rows);
  bool same = s.size() == rows.size();
  for (size_t k = 0; same && k < rows.size(); ++k)
    same = s.labels[k] == data_.labels[size_t(rows[k])];
  HEP2_CHECK(same, "the cells under ", to_string(p), " are not those as they are");
  return upload_images(be_, s.shape, s.images, s.labels);
}

}  // namespace hep2
