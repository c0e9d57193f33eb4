// append_rows: two feature sets joined view-major, a's cells before b's in every view;
// side_by_side: the columns of two feature sets of the same cells, a's before b's in every row.
#include "hep2/pipeline/feature_rows.h"

#include <algorithm>

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

DeviceFeatures side_by_side(Backend& be, const DeviceFeatures& a, const DeviceFeatures& b) {
  HEP2_CHECK(a.count == b.count && a.views == b.views, "feature sets of ", a.count, "x", a.views,
             " and ", b.count, "x", b.views, " rows");
  DeviceFeatures c;
  c.count = a.count;
  c.views = a.views;
  c.dim = a.dim + b.dim;
  c.values = Buffer<float>(be, c.rows() * size_t(c.dim));
  const size_t f = sizeof(float);
  be.copy_rows(c.values.data(), size_t(c.dim) * f, a.values.data(), size_t(a.dim) * f,
               size_t(a.dim) * f, c.rows());
  be.copy_rows(c.values.data() + a.dim, size_t(c.dim) * f, b.values.data(), size_t(b.dim) * f,
               size_t(b.dim) * f, c.rows());
  c.seconds = a.seconds + b.seconds;
  c.images_per_s = double(c.count) / std::max(c.seconds, 1e-9);
  return c;
}

}  // namespace hep2
