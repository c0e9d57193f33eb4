// The DCAE's training budget: --epochs, raised on small data until the DCAE takes at least
// --ae-min-steps steps, so a small labelled set still trains the encoder long enough.
#pragma once
#include <cstddef>

namespace hep2 {

// The epochs a DCAE trains over `cells` cells in batches of `batch` (a batch larger than the
// cells is one step an epoch): `epochs`, or more when that many epochs take fewer than
// `min_steps` steps, never more than 100000. min_steps <= 0, epochs == 0 or no cells: `epochs`.
int ae_epochs(int epochs, int min_steps, size_t cells, int batch);

}  // namespace hep2
