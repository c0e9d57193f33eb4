// Fitting the method's classifier: an ensemble of networks, each trained with early stopping on
// its own slice of the training cells (the paper's MLP on features, or the supervised baseline's
// encoder + MLP on images), or the least-squares classifier solved exactly. Feature classifiers
// first fit a per-feature scaler on the training cells. Nothing here writes files: the caller
// decides where the fitted members and their logs go.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hep2/nn/models.h"
#include "hep2/nn/network.h"
#include "hep2/nn/optimizer.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/holdout.h"
#include "hep2/pipeline/least_squares.h"
#include "hep2/pipeline/method_kinds.h"
#include "hep2/pipeline/self_training.h"
#include "hep2/pipeline/training.h"

namespace hep2 {

// The cells' classes and specimens on the host, for the early-stopping slices.
struct CellLabels {
  const std::vector<int32_t>& labels;
  const std::vector<std::string>& groups;  // empty, or one (possibly blank) name per cell
  int classes = 0;
};

// Extra labelled rows of the features: row rows[k] is training cell of[k] read again under a
// photometric change (feature augmentation, photometric.h). A copy takes its cell's label and
// goes where its cell goes: into the least squares' cross-validation fold of its cell, so that no
// fold is scored on copies of cells it was fitted on; into a network's training only when its cell
// is not in that network's early-stopping slice, so that no network stops on cells it learned.
struct CopiedRows {
  std::vector<int> rows, of;
  size_t size() const { return rows.size(); }
};

struct NetworkFitOptions {
  int ensemble = 1;       // networks, averaged
  ClfTrainOptions train;  // epochs, batch, patience, balance; the seed is set per member
  OptimizerConfig optimizer;
  InitScheme init = InitScheme::Torch;
  HoldoutOptions holdout;
  // Data parallel: called with each member's network and training options before it trains;
  // makes the network a replica (its gradient hook) and its training this process's part of
  // every batch (ClfTrainOptions::shard, shards, agree). Empty: one process.
  std::function<void(Trainer& net, ClfTrainOptions& train)> replicate;
};

struct ClassifierSettings {
  ClassifierKind kind = ClassifierKind::Mlp;
  FeatureScaling scaling = FeatureScaling::PerFeature;  // of the inputs (never Auto here)
  NetworkFitOptions network;
  // ridge 0: chosen by blocked cross-validation inside the training cells (ridge_choice.h)
  LeastSquaresOptions least_squares;
  // Least squares: rounds of self-training on the unlabelled cells (self_training.h); 0: none.
  int self_training_rounds = 0;
};

struct FittedMember {
  std::unique_ptr<Trainer> net;
  int best_epoch = 0;
  std::vector<EpochStat> epochs;
  HoldoutSplit cells;      // what it fitted and stopped on (and why it had no early stopping)
  size_t copied_rows = 0;  // photometric copies it learned from (least squares: each view's row)
};

struct FittedClassifier {
  std::vector<FittedMember> members;
  FeatureScaler scaler;      // of feature classifiers: applied to every feature row first
  double temperature = 0;    // least squares: the calibration of its scores; 0 for networks
  double ridge = 0;          // least squares: the ridge used (chosen when asked for with 0)
  size_t training_rows = 0;  // least squares: the rows it was solved on (copies included)
  SelfTrainingReport self_training;  // least squares: its rounds on the unlabelled cells
  double seconds = 0;
  std::vector<Trainer*> nets() const;
};

// Called before member k (0-based) trains, with the cells it fits and stops on.
using MemberStart = std::function<void(int member, const HoldoutSplit& cells)>;

// opts.ensemble networks made by `make`: member k is seeded from seed + 1000 k (its weights from
// that + 1) and stops early on hold_out_validation(..., k, seed). It also trains on the copies of
// the cells it fits (`labels` must hold the copies' rows too; none for images).
FittedClassifier fit_network_ensemble(Backend& be, const std::function<Network()>& make,
                                      const SampleSet& x, const Buffer<int32_t>& labels,
                                      const CellLabels& cells, const std::vector<int>& train,
                                      const CopiedRows& copies, const NetworkFitOptions& opts,
                                      uint64_t seed,
                                      const MemberStart& on_start = {},
                                      const ProgressFn& progress = {});

// The classifier of `cfg` (its hidden layers are ignored by least squares) on the features f of
// the training rows: fits the scaler, standardises f in place, then fits the networks or solves
// the least squares (one member holding its scores as a dense layer). `unlabelled`: rows of f
// whose labels are not to be used; the least squares self-trains on them when asked to.
// `copies`: labelled copies of training cells, standardised with the scaler fitted on the training
// rows and the copies together (`labels` need not cover their rows: the cells' labels are used).
FittedClassifier fit_feature_classifier(Backend& be, DeviceFeatures& f,
                                        const Buffer<int32_t>& labels, const CellLabels& cells,
                                        const std::vector<int>& train,
                                        const std::vector<int>& unlabelled,
                                        const CopiedRows& copies, const MlpConfig& cfg,
                                        const ClassifierSettings& settings, uint64_t seed,
                                        const MemberStart& on_start = {},
                                        const ProgressFn& progress = {});

}  // namespace hep2
