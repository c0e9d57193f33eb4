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

// How one invocation takes part in a protocol (opt.resume: finished units are read, not rerun).
struct ProtocolRun {
  bool merge = false;     // only summarise: every unit must have finished (--merge)
  size_t only_unit = 0;   // 1-based: run this unit alone and write no summary (--unit, array jobs)
};

// The units (seeds x folds) run one after another, or spread over the ranks of an MPI job with
// the same figures; rank 0 writes protocol.json and prints the table.
void run_protocol(const Options& opt, int folds, const std::vector<uint64_t>& seeds,
                  const std::string& dir, const ProtocolRun& how = {});

}  // namespace hep2::app
