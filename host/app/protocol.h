// The field's evaluation protocol (`hep2 cv`): the whole method trained and tested on each fold of
// a stratified, grouped k-fold split, or on the data's own split, for several seeds; the figures
// HEp-2 papers rank by (accuracy and mean class accuracy, cell level and specimen level) as
// mean +- std, written to protocol.json and printed as one table.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hep2/pipeline/evaluation.h"
#include "hep2/pipeline/split.h"
#include "options.h"

namespace hep2::app {

class Workbench;

// One run of the protocol: the method with settings `opt` and seed `seed` on `split` of the cells
// of `shared` (whose backend it shares), in its own complete run folder `dir` (config.json, the
// checkpoints, metrics.json), so that `hep2 classify --out dir` uses the model it trained.
Evaluation run_unit(const Workbench& shared, Options opt, uint64_t seed, SplitIndices split,
                    const std::string& dir);

void run_protocol(const Options& opt, int folds, const std::vector<uint64_t>& seeds,
                  const std::string& dir);

}  // namespace hep2::app
