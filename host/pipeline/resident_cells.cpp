// ResidentCells: one upload per size the command reads.
#include "hep2/pipeline/resident_cells.h"

#include "hep2/core/error.h"
#include "hep2/pipeline/gradient_images.h"

namespace hep2 {

ResidentCells::ResidentCells(Backend& be, CellSource source, const PreprocessOptions& base)
    : ResidentCells(be, source(base), base, source) {}

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
    Dataset s = source_(pp);
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

}  // namespace hep2
