// fit_network_ensemble, fit_feature_classifier.
#include "hep2/pipeline/classifier_fit.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "hep2/core/error.h"
#include "hep2/pipeline/ridge_choice.h"

namespace hep2 {

std::vector<Trainer*> FittedClassifier::nets() const {
  std::vector<Trainer*> n;
  for (const FittedMember& m : members) n.push_back(m.net.get());
  return n;
}

FittedClassifier fit_network_ensemble(Backend& be, const std::function<Network()>& make,
                                      const SampleSet& x, const Buffer<int32_t>& labels,
                                      const CellLabels& cells, const std::vector<int>& train,
                                      const CopiedRows& copies, const NetworkFitOptions& opts,
                                      uint64_t seed, const MemberStart& on_start,
                                      const ProgressFn& progress) {
  FittedClassifier fitted;
  for (int k = 0; k < opts.ensemble; ++k) {
    // Members differ in initialisation, data order, dropout and early-stopping slice.
    const uint64_t member_seed = seed + uint64_t(k) * 1000;
    auto net = std::make_unique<Trainer>(be, make(), opts.train.batch, opts.optimizer);
    net->init(opts.init, member_seed + 1);
    const HoldoutSplit s =
        hold_out_validation(train, cells.labels, cells.groups, cells.classes, opts.holdout, k, seed);
    if (on_start) on_start(k, s);
    // A copy of an early-stopping cell would let the network stop on a cell it has learned.
    std::vector<int> fit = s.fit;
    const std::set<int> fitted_cells(s.fit.begin(), s.fit.end());
    for (size_t c = 0; c < copies.size(); ++c)
      if (fitted_cells.count(copies.of[c])) fit.push_back(copies.rows[c]);
    ClfTrainOptions to = opts.train;
    to.seed = member_seed;
    if (opts.replicate) opts.replicate(*net, to);
    ClfTrainResult r = train_classifier(*net, x, labels, fit, s.val, to, progress);
    fitted.seconds += r.seconds;
    fitted.members.push_back(
        {std::move(net), r.best_epoch, std::move(r.epochs), s, fit.size() - s.fit.size()});
  }
  return fitted;
}

namespace {

// The least-squares classifier has one exact solution: no epochs, no early-stopping slice, no
// ensemble. Its normal equations are (features + 1) square and solved on the host in double; the
// standardised feature rows come down once and the solver reads the training rows in place.
FittedClassifier fit_linear(Backend& be, const DeviceFeatures& f, const CellLabels& cells,
                            const std::vector<int>& train, const std::vector<int>& unlabelled,
                            const CopiedRows& copies, const MlpConfig& cfg,
                            const ClassifierSettings& settings, uint64_t seed) {
  FittedClassifier fitted;
  const std::vector<float> all = download_features(be, f);
  std::vector<size_t> rows;
  std::vector<int32_t> y;
  rows.reserve(size_t(f.views) * train.size());
  for (int v = 0; v < f.views; ++v)
    for (int i : train) {
      rows.push_back(size_t(v) * size_t(f.count) + size_t(i));
      y.push_back(cells.labels.at(size_t(i)));
    }
  for (int v = 0; v < f.views; ++v)  // copies.of are training cells (fit_feature_classifier)
    for (size_t k = 0; k < copies.size(); ++k) {
      rows.push_back(size_t(v) * size_t(f.count) + size_t(copies.rows[k]));
      y.push_back(cells.labels.at(size_t(copies.of[k])));
    }
  LeastSquaresOptions options = settings.least_squares;
  if (options.ridge <= 0) {
    const std::vector<int> cell_fold =
        specimen_folds(train, cells.labels, cells.groups, kRidgeFolds, seed);
    std::map<int, int> fold_of_cell;
    for (size_t k = 0; k < train.size(); ++k) fold_of_cell[train[k]] = cell_fold[k];
    std::vector<int> copy_fold;
    for (int cell : copies.of) copy_fold.push_back(fold_of_cell.at(cell));
    std::vector<int> fold_of;
    for (int v = 0; v < f.views; ++v)
      fold_of.insert(fold_of.end(), cell_fold.begin(), cell_fold.end());
    for (int v = 0; v < f.views; ++v)
      fold_of.insert(fold_of.end(), copy_fold.begin(), copy_fold.end());
    options.ridge = choose_ridge(all.data(), f.dim, rows, y, cfg.classes, fold_of, options).ridge;
  }
  std::vector<size_t> pool;
  if (settings.self_training_rounds > 0) {
    pool.reserve(size_t(f.views) * unlabelled.size());
    for (int v = 0; v < f.views; ++v)
      for (int i : unlabelled) {
        HEP2_CHECK(i >= 0 && i < f.count, "unlabelled cell ", i, " is not among the ", f.count,
                   " feature rows");
        pool.push_back(size_t(v) * size_t(f.count) + size_t(i));
      }
  }
  LinearWeights w = fit_self_trained(all.data(), f.dim, rows, y, pool, cfg.classes, options,
                                     settings.self_training_rounds, &fitted.self_training);
  fitted.ridge = options.ridge;
  auto net = std::make_unique<Trainer>(be, build_mlp(cfg), settings.network.train.batch,
                                       settings.network.optimizer);
  std::vector<float> params = w.weight;
  params.insert(params.end(), w.bias.begin(), w.bias.end());
  net->block().set_params(be, params);
  fitted.temperature = w.temperature;
  fitted.training_rows = y.size();
  fitted.members.push_back(
      {std::move(net), 0, {}, {train, {}, 0, {}}, size_t(f.views) * copies.size()});
  return fitted;
}

}  // namespace

FittedClassifier fit_feature_classifier(Backend& be, DeviceFeatures& f,
                                        const Buffer<int32_t>& labels, const CellLabels& cells,
                                        const std::vector<int>& train,
                                        const std::vector<int>& unlabelled,
                                        const CopiedRows& copies, const MlpConfig& cfg,
                                        const ClassifierSettings& settings, uint64_t seed,
                                        const MemberStart& on_start, const ProgressFn& progress) {
  HEP2_CHECK(copies.rows.size() == copies.of.size(), copies.rows.size(), " copied rows of ",
             copies.of.size(), " cells");
  const std::set<int> training(train.begin(), train.end());
  for (size_t k = 0; k < copies.size(); ++k)
    HEP2_CHECK(training.count(copies.of[k]) && copies.rows[k] >= 0 && copies.rows[k] < f.count,
               "copied row ", copies.rows[k], " of cell ", copies.of[k],
               ": not a row of the features copying a training cell");
  std::vector<int> scaled = train;
  scaled.insert(scaled.end(), copies.rows.begin(), copies.rows.end());
  FeatureScaler scaler = fit_feature_scaler(be, f, scaled, settings.scaling);
  apply_feature_scaler(be, scaler, f);
  FittedClassifier fitted;
  if (settings.kind == ClassifierKind::Linear) {
    const auto t0 = std::chrono::steady_clock::now();
    MlpConfig linear = cfg;
    linear.hidden.clear();
    fitted = fit_linear(be, f, cells, train, unlabelled, copies, linear, settings, seed);
    fitted.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } else if (copies.size() == 0) {
    fitted = fit_network_ensemble(be, [&] { return build_mlp(cfg); }, samples_of(f), labels, cells,
                                  train, copies, settings.network, seed, on_start, progress);
  } else {
    // The networks read their labels on the device: each copy's row takes its cell's label.
    std::vector<int32_t> y(size_t(f.count), -1);
    std::copy(cells.labels.begin(), cells.labels.begin() + std::min(y.size(), cells.labels.size()),
              y.begin());
    for (size_t k = 0; k < copies.size(); ++k)
      y[size_t(copies.rows[k])] = cells.labels.at(size_t(copies.of[k]));
    Buffer<int32_t> with_copies(be, y.size());
    be.upload(with_copies.data(), y.data(), with_copies.bytes());
    fitted = fit_network_ensemble(be, [&] { return build_mlp(cfg); }, samples_of(f), with_copies,
                                  cells, train, copies, settings.network, seed, on_start, progress);
  }
  fitted.scaler = std::move(scaler);
  return fitted;
}

}  // namespace hep2
