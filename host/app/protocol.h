// The field's evaluation protocol (`hep2 cv`): the whole method trained and tested on each fold of
// a stratified, grouped k-fold split, or on the data's own split, for several seeds; the figures
// HEp-2 papers rank by (accuracy and mean class accuracy, cell level and specimen level) as
// mean +- std, written to protocol.json and printed as one table.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "options.h"

namespace hep2::app {

void run_protocol(const Options& opt, int folds, const std::vector<uint64_t>& seeds,
                  const std::string& dir);

}  // namespace hep2::app
