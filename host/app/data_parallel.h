// --data-parallel: one DCAE trained by every rank of an MPI job. Each rank trains on its part of
// every batch (AeTrainOptions::shard) and the trainer's gradient hook sums the parts' gradients
// in rank order (dist/gradient_sum.h).
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "hep2/dist/gradient_sum.h"
#include "hep2/pipeline/training.h"
#include "options.h"

namespace hep2::app {

// Refuses --data-parallel where it cannot run, before any work: a build without MPI, a command
// that spreads its own units over the ranks (cv), the supervised baseline (no DCAE), or GPUs
// asked for that this node does not have (one per rank).
void check_data_parallel(const Options& opt, const std::string& command);

// With --data-parallel, makes `net` this rank's replica (its gradient hook sums over the job) and
// `to` this rank's part of each batch; returns the sum, which must outlive the training. Without
// it, returns null and changes nothing.
std::unique_ptr<dist::GradientSum> join_data_parallel(const Options& opt, Trainer& net,
                                                      AeTrainOptions& to);

// With --data-parallel, what makes each classifier network (the MLP) a replica: its gradient hook
// sums over the job, it trains on this rank's part of every batch, and its early stopping
// decides on rank 0's validation figures, so every rank keeps the same best epoch and stops at
// the same epoch. Without it, empty.
std::function<void(Trainer&, ClfTrainOptions&)> classifier_replicas(const Options& opt);

// Whether this process writes the run folder's files: always, except a rank other than 0 of
// --data-parallel (the ranks hold the same models).
bool writes_run_files(const Options& opt);

}  // namespace hep2::app
