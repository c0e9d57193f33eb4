// append_rows: two feature sets joined view-major, a's cells before b's in every view.
#include "hep2/pipeline/feature_rows.h"

#include "hep2/core/error.h"

namespace hep2 {

DeviceFeatures append_rows(Backend& be, const DeviceFeatures& a, const DeviceFeatures& b) {
  HEP2_CHECK(b.dim == a.dim && b.views == a.views, "features of ", b.dim, "x", b.views,
             " beside ", a.dim, "x", a.views);
  // Rows are view-major (row v * count + i): each view's block gets the new cells after the old.
  DeviceFeatures both;
  both.count = a.count + b.count;
  both.views = a.views;
  both.dim = a.dim;
  both.values = Buffer<float>(be, both.rows() * size_t(both.dim));
  const size_t row = size_t(a.dim) * sizeof(float);
  for (int v = 0; v < a.views; ++v) {
    float* to = both.values.data() + size_t(v) * size_t(both.count) * size_t(a.dim);
    be.copy_rows(to, row, a.values.data() + size_t(v) * size_t(a.count) * size_t(a.dim), row, row,
                 size_t(a.count));
    be.copy_rows(to + size_t(a.count) * size_t(a.dim), row,
                 b.values.data() + size_t(v) * size_t(b.count) * size_t(a.dim), row, row,
                 size_t(b.count));
  }
  both.seconds = a.seconds + b.seconds;
  both.images_per_s = a.images_per_s;
  return both;
}

}  // namespace hep2
