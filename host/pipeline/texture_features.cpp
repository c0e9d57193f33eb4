// Texture features: the encoder runs up to the chosen stage on each of a cell's 8 square
// symmetries, and the backend's channel_stats adds one eighth of each view's statistics into the
// cell's row. Views are the inner loop, so every row is summed in view order 0..7 on both
// backends (the same bits), and one batch of gathered views is all the extra memory needed.
#include "hep2/pipeline/texture_features.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <vector>

#include "hep2/core/error.h"

namespace hep2 {

DeviceFeatures extract_texture_features(Trainer& ae, size_t stage_end, const DeviceImages& data,
                                        int batch, const ProgressFn& progress) {
  Backend& be = ae.backend();
  if (data.shape.h != data.shape.w)
    fail("texture features average the 8 rotations/flips of a cell and need square images, got ",
         data.shape.h, "x", data.shape.w);
  if (stage_end == 0 || stage_end > ae.net().layer_count())
    fail("texture features: layer count ", stage_end, " is outside the network's ",
         ae.net().layer_count(), " layers");
  constexpr int kViews = 8;
  batch = std::max(1, std::min(batch, ae.max_batch()));
  const Shape4 maps = ae.net().output_shape(stage_end - 1, 1);
  const size_t n = data.size(), per = data.shape.per_sample();
  DeviceFeatures f;
  f.count = int(n);
  f.views = 1;
  f.dim = 3 * maps.c;
  f.values = Buffer<float>(be, n * size_t(f.dim));
  be.fill(f.values.data(), f.values.size(), 0.f);
  std::vector<int32_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  Buffer<int32_t> index(be, std::max<size_t>(n, 1));
  be.upload(index.data(), all.data(), n * sizeof(int32_t));
  Buffer<float> view(be, size_t(batch) * per);
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  for (size_t start = 0; start < n; start += size_t(batch)) {
    const int nb = int(std::min<size_t>(size_t(batch), n - start));
    for (int v = 0; v < kViews; ++v) {
      const float* x = symmetry_view(be, data, index.data(), start, nb, v, view.data());
      const float* y = ae.forward(nb, x, false, 0, stage_end);
      be.channel_stats(nb, maps.c, maps.h * maps.w, y, 1.f / kViews,
                       f.values.data() + start * size_t(f.dim));
    }
    const size_t done = start + size_t(nb);
    if (progress && ((start / size_t(batch)) % 20 == 19 || done == n)) {
      be.sync();
      const double ips = double(done) / std::max(seconds(), 1e-9);
      progress({"extract", 1, 1, done, n, std::nan(""), ips, double(n - done) / std::max(ips, 1e-9)});
    }
  }
  be.sync();
  f.seconds = seconds();
  f.images_per_s = double(n) / std::max(f.seconds, 1e-9);
  return f;
}

}  // namespace hep2
