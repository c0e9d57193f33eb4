// The bookkeeping an epoch of either training loop shares: its steps over the training cells in
// batches (the last one shorter), and the epoch's loss as the mean over cells of the steps' mean
// losses (each weighted by its batch's size), accumulated in step order in double.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

namespace hep2 {

struct EpochBatches {
  size_t cells = 0;
  int batch = 1;

  size_t steps() const { return (cells + size_t(batch) - 1) / size_t(batch); }
  int size_of(size_t step) const { return int(std::min<size_t>(size_t(batch), cells - step * size_t(batch))); }
  double mean_loss(const std::vector<float>& step_losses) const {
    double sum = 0;
    for (size_t s = 0; s < steps(); ++s) sum += double(step_losses[s]) * double(size_of(s));
    return sum / double(cells);
  }
};

}  // namespace hep2
