// The training loops of the method, over a dataset resident on the backend:
//   train_autoencoder -> extract_features -> train_classifier -> predict.
// Each epoch shuffles indices on the host (one upload per epoch), gathers and augments batches on
// the device, and writes each step's loss to its own device slot, read once per epoch, so a GPU
// step loop neither allocates nor synchronises.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hep2/core/arena.h"
#include "hep2/core/rng.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/method_kinds.h"

namespace hep2 {

// A preprocessed dataset uploaded once: n x c x h x w images and int32 labels (-1: unknown).
struct DeviceImages {
  Shape4 shape;
  Buffer<float> images;
  Buffer<int32_t> labels;
  size_t size() const { return size_t(shape.n); }
};
DeviceImages upload_images(Backend& be, Shape4 shape, const std::vector<float>& images,
                           const std::vector<int32_t>& labels);

// Progress of a long phase, for the progress line and the logs.
struct TrainProgress {
  std::string phase;  // "train-ae", "extract", "train-clf"
  int epoch = 0, epochs = 0;
  size_t done = 0, total = 0;  // batches (or images) in this epoch
  double loss = 0;             // latest known loss (NaN when none yet)
  double images_per_s = 0, eta_s = 0;
};
using ProgressFn = std::function<void(const TrainProgress&)>;

struct EpochStat {
  int epoch = 0;
  double loss = 0;       // mean training loss over the epoch's steps
  double val_loss = -1;  // classifier: validation loss, -1 when none
  double val_acc = -1;   // classifier: validation accuracy, -1 when none
  double seconds = 0, images_per_s = 0;
};

struct AeTrainOptions {
  int epochs = 15;
  int batch = 64;
  bool augment = true;   // random rotations by 90 degrees and flips (cells have no orientation)
  // Denoising: each input pixel is dropped with this probability (the others scaled by 1 / (1 -
  // noise), as inverted dropout) and the DCAE learns to reconstruct the clean image. 0: off.
  float noise = 0.f;
  // Learning-rate warm-up: the rate rises linearly from lr / steps to lr over this many epochs'
  // worth of steps (0: the full rate from the first step). Adam's first steps move every weight
  // by about lr whatever its gradient; a ramp makes them smaller. On I3A it let a denoising DCAE
  // train that collapsed without it, but did not prevent every collapse (docs/accuracy.md); the
  // cross-entropy objective did.
  double warmup_epochs = 0;
  // The objective the steps descend (nn/trainer.h); the logged loss is the MSE either way.
  AeObjective objective = AeObjective::Mse;
  // Replay each step from a CUDA graph (Trainer::set_step_graphs; the CUDA backend only): the same
  // kernels with the same arguments, one launch per step.
  bool cuda_graph = false;
  uint64_t seed = 1;
  // Data parallel: this process trains on part `shard` of `shards` contiguous, near-equal parts
  // of every global batch of `batch` cells, with the augmentation each cell would get in the whole
  // batch; the trainer's gradient hook (nn/trainer.h) sums the parts' gradients, so the update
  // is the whole batch's. 1: the whole batch here.
  int shard = 0, shards = 1;
  // Collapse (NOTES.md: pre-sigmoid outputs driven to -100, zero gradients): once at least
  // collapse_min_steps steps are done, an epoch whose loss is still at least collapse_ratio times
  // the loss of the best constant output (the mean image) and fell by less than 1% from the
  // epoch before stops training with an error.
  double collapse_ratio = 0.98;
  size_t collapse_min_steps = 150;
};
// Where autoencoder training stands: with the parameter block and the optimiser's step count, all
// a checkpoint needs to continue bit-exactly (the data order of an epoch depends only on the
// order generator's state before its shuffle; augmentation on (seed, epoch, step)).
struct AeTrainState {
  int epoch = 1;                     // the epoch in progress (1-based); epochs + 1 when finished
  size_t step = 0;                   // steps of that epoch already done
  uint64_t rng_state = 0, rng_inc = 0;  // order generator before this epoch's shuffle (0: fresh)
  std::vector<float> epoch_losses;   // losses of the steps done in this epoch
  std::vector<EpochStat> history;    // finished epochs
  bool finished(int epochs) const { return epoch > epochs; }
};

// Checkpointing and interruption of a training loop.
struct TrainControl {
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT): stop after the current step
  long stop_after_steps = -1;               // stop after this many steps of this call (-1: never)
  // Called at the end of every epoch and when stopping, with the state to save.
  std::function<void(const AeTrainState&)> checkpoint;
};

struct AeTrainResult {
  std::vector<EpochStat> epochs;
  double mean_image_loss = 0;  // the MSE of always answering the mean image
  double seconds = 0, images_per_s = 0;
  bool stopped = false;        // interrupted before the last epoch: resume from the checkpoint
};
// Part `part` of `parts` contiguous, near-equal parts of a batch (the first batch % parts one
// larger): cells [begin, begin + count) of it.
struct BatchPart {
  int begin = 0, count = 0;
};
BatchPart batch_part(int batch, int part, int parts);
// Gathers `part` of the batch whose cells are batch_index[0..batch) into out, each cell with the
// symmetry aug gives it in the whole batch (gather_batch numbers cells within what it gathers).
void gather_part(Backend& be, const Shape4& sample, const float* data, const int32_t* batch_index,
                 int batch, const BatchPart& part, const AugmentSpec& aug, float* out);

// Trains from `state` (a fresh AeTrainState starts at epoch 1) and leaves it where training
// ended. Throws Error when the loss becomes NaN/Inf or the autoencoder collapses (with what to
// change).
AeTrainResult train_autoencoder(Trainer& ae, const DeviceImages& data,
                                const std::vector<int>& train, const AeTrainOptions& opt,
                                AeTrainState& state, const TrainControl& control = {},
                                const ProgressFn& progress = {});

// Latent features of every image: a device buffer of (views * count) rows of dim values, view-major
// (row v * count + i is cell i seen under square symmetry v; view 0 is the image as it is). Cells
// have no orientation, so several views let the classifier train on rotated/flipped features and
// average its predictions over them.
struct DeviceFeatures {
  Buffer<float> values;
  int count = 0, dim = 0;
  int views = 1;
  size_t rows() const { return size_t(views) * size_t(count); }
  double seconds = 0, images_per_s = 0;
};
// The images [start, start + count) of data under square symmetry 0..7 (symmetry_source()):
// symmetry 0 is the images where they are; the others are gathered into buffer (count images)
// through all_index, the device array 0..n-1.
const float* symmetry_view(Backend& be, const DeviceImages& data, const int32_t* all_index,
                          size_t start, int count, int symmetry, float* buffer);
// views: 1..8, the symmetries 0..views-1 of symmetry_source() (square images only when > 1).
DeviceFeatures extract_features(Trainer& ae, size_t latent_end, const DeviceImages& data,
                                int batch, int views = 1, const ProgressFn& progress = {});
std::vector<float> download_features(Backend& be, const DeviceFeatures& f);

// Per-feature standardisation for the classifier: the DCAE's latent values share a large common
// offset and differ in scale, which slows the MLP's training badly. Fitted on every view of the
// training cells, stored with the classifier, applied to every feature row before the MLP sees it.
// Pooled scaling (method_kinds.h) keeps the centring and gives every feature the same inv_std.
struct FeatureScaler {
  std::vector<float> mean, inv_std;
  // How fit_feature_scaler fitted inv_std (for reports; a checkpoint stores only the numbers).
  FeatureScaling scaling = FeatureScaling::PerFeature;
};
FeatureScaler fit_feature_scaler(Backend& be, const DeviceFeatures& f, const std::vector<int>& rows,
                                 FeatureScaling scaling = FeatureScaling::PerFeature);
// Standardises f in place on its device.
void apply_feature_scaler(Backend& be, const FeatureScaler& s, DeviceFeatures& f);

struct ClfTrainOptions {
  int epochs = 60;
  int batch = 64;
  uint64_t seed = 1;
  // Early stopping on a validation subset (indices into the features), when non-empty: the
  // parameters of the epoch with the lowest validation loss are kept.
  int patience = 10;
  // Class-balanced training (for mean class accuracy, the figure HEp-2 work ranks by): every
  // epoch draws the same number of cells from each class (a rare class's cells repeat, a common
  // class is subsampled, differently each epoch), and early stopping watches the mean over
  // classes of the validation loss instead of the mean over cells.
  bool balance = false;
  // Data parallel (as AeTrainOptions): part `shard` of `shards` of every global batch, the
  // trainer's gradient hook summing the parts. `agree`, when set, is called by every replica
  // once per epoch with its validation figures (loss, accuracy) and replaces them by the same
  // values on every replica, so that all keep the same best epoch and stop at the same epoch.
  int shard = 0, shards = 1;
  std::function<void(double* figures, size_t count)> agree;
};
struct ClfTrainResult {
  std::vector<EpochStat> epochs;
  int best_epoch = 0;
  double seconds = 0;
};
// What a classifier reads: DCAE features (dim x 1 x 1) or, for the supervised baseline, images
// (c x h x w, optionally augmented during training). With views > 1 the classifier trains on a
// random view of each cell per epoch and predicts the mean of its class probabilities over all
// views (test-time augmentation). Features bring their views as rows (view-major, see
// DeviceFeatures); images are turned on the fly (symmetry v for view v).
struct SampleSet {
  const float* data = nullptr;
  Shape4 sample;  // n = 1
  int count = 0;         // cells
  bool augment = false;  // random rotations/flips during training (square images only)
  int views = 1;
  bool views_are_rows = true;  // false: images, view v = symmetry v applied when gathering
};
inline SampleSet samples_of(const DeviceFeatures& f) {
  return {f.values.data(), Shape4{1, f.dim, 1, 1}, f.count, false, f.views, true};
}
inline SampleSet samples_of(const DeviceImages& d, bool augment, int views = 1) {
  return {d.images.data(), Shape4{1, d.shape.c, d.shape.h, d.shape.w}, d.shape.n, augment, views,
          false};
}

// One class-balanced epoch of `total` cells (ClfTrainOptions::balance): an equal share from each
// non-empty class of by_class (the first total % K classes one more), each class's cells cycled
// in a fresh random order (reshuffled at every pass), then all shuffled together. by_class's
// lists are left reordered.
std::vector<int32_t> balanced_order(std::vector<std::vector<int32_t>>& by_class, size_t total,
                                    Rng& rng);

ClfTrainResult train_classifier(Trainer& mlp, const SampleSet& features,
                                const Buffer<int32_t>& labels, const std::vector<int>& train,
                                const std::vector<int>& validation, const ClfTrainOptions& opt,
                                const ProgressFn& progress = {});

// Class probabilities (rows of `classes`) of the given cells, averaged over the set's views.
std::vector<float> predict_probabilities(Trainer& mlp, const SampleSet& features,
                                         const std::vector<int>& rows);
// The mean of several classifiers' probabilities (an ensemble), added in member order.
std::vector<float> predict_probabilities(const std::vector<Trainer*>& members,
                                         const SampleSet& features, const std::vector<int>& rows);
// argmax of each row of probabilities.
std::vector<int32_t> argmax_rows(const std::vector<float>& probs, int classes);

}  // namespace hep2
