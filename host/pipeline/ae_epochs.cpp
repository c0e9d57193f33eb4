// ae_epochs: --epochs raised to reach --ae-min-steps DCAE steps.
#include "hep2/pipeline/ae_epochs.h"

#include <algorithm>

#include "hep2/pipeline/epoch_batches.h"

namespace hep2 {

int ae_epochs(int epochs, int min_steps, size_t cells, int batch) {
  if (min_steps <= 0 || epochs == 0 || cells == 0) return epochs;
  const size_t per_epoch = EpochBatches{cells, std::min(batch, int(cells))}.steps();
  const size_t need = (size_t(min_steps) + per_epoch - 1) / per_epoch;
  return std::max(epochs, int(std::min<size_t>(need, 100000)));
}

}  // namespace hep2
