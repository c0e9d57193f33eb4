// The training loops: autoencoder, feature extraction, classifier, prediction.
#include "hep2/pipeline/training.h"

#include "hep2/pipeline/epoch_batches.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"

namespace hep2 {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Fisher-Yates with hep2's portable generator: the same order on every machine.
void shuffle(std::vector<int32_t>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(uint32_t(i))]);
}

std::vector<int32_t> as_i32(const std::vector<int>& v) { return {v.begin(), v.end()}; }

// A non-finite loss ends training before anything of the diverged state is checkpointed, so the
// last checkpoint written holds the last finite parameters.
[[noreturn]] void diverged(double loss, int epoch) {
  fail("the autoencoder's loss became ", std::isnan(loss) ? "NaN" : loss > 0 ? "+Inf" : "-Inf",
       " in epoch ", epoch, "; training stopped without saving this epoch (the last checkpoint, if "
       "any, holds the last finite state); lower the learning rate ({lr}) or check the input data "
       "for NaN/Inf values");
}

[[noreturn]] void classifier_diverged(const char* which, double loss, int epoch) {
  fail("the classifier's ", which, " loss became ",
       std::isnan(loss) ? "NaN" : loss > 0 ? "+Inf" : "-Inf", " in epoch ", epoch,
       "; lower the classifier learning rate ({clf_lr})");
}

void check_rows(const std::vector<int>& rows, size_t n, const char* what) {
  for (int r : rows)
    if (r < 0 || size_t(r) >= n) fail(what, ": index ", r, " is outside the dataset of ", n);
}

// Column sums and sums of squares of the rows `index` of a device matrix (`cols` wide), taken
// where the matrix is; only the 2 x cols results come to the host.
struct ColumnSums {
  std::vector<double> sum, sq;
};
ColumnSums column_sums_of(Backend& be, const float* x, int cols, const std::vector<int32_t>& index) {
  if (index.size() > size_t(std::numeric_limits<int32_t>::max()))
    fail(index.size(), " rows are more than one pass of column sums can add");
  Buffer<int32_t> dev_index(be, index.size());
  Buffer<double> dev_sum(be, size_t(cols)), dev_sq(be, size_t(cols));
  be.upload(dev_index.data(), index.data(), dev_index.bytes());
  be.column_sums(cols, x, dev_index.data(), int(index.size()), dev_sum.data(), dev_sq.data());
  ColumnSums r{std::vector<double>(size_t(cols)), std::vector<double>(size_t(cols))};
  be.download(r.sum.data(), dev_sum.data(), dev_sum.bytes());
  be.download(r.sq.data(), dev_sq.data(), dev_sq.bytes());
  return r;
}

}  // namespace

std::vector<int32_t> balanced_order(std::vector<std::vector<int32_t>>& by_class, size_t total,
                                    Rng& rng) {
  size_t k = 0;
  for (const auto& cells : by_class) k += !cells.empty();
  if (k == 0 && total > 0) fail("balanced_order: ", total, " cells wanted but no class has any");
  std::vector<int32_t> order;
  order.reserve(total);
  size_t nth = 0;
  for (auto& cells : by_class) {
    if (cells.empty()) continue;
    const size_t share = total / k + (nth++ < total % k ? 1 : 0);
    for (size_t i = 0; i < share; ++i) {
      if (i % cells.size() == 0) shuffle(cells, rng);
      order.push_back(cells[i % cells.size()]);
    }
  }
  shuffle(order, rng);
  return order;
}

DeviceImages upload_images(Backend& be, Shape4 shape, const std::vector<float>& images,
                           const std::vector<int32_t>& labels) {
  HEP2_CHECK(images.size() == shape.count(), "image tensor of ", images.size(), " values for ",
             shape.str());
  HEP2_CHECK(labels.size() == size_t(shape.n), labels.size(), " labels for ", shape.n, " images");
  DeviceImages d{shape, Buffer<float>(be, images.size()), Buffer<int32_t>(be, labels.size())};
  be.upload(d.images.data(), images.data(), images.size() * sizeof(float));
  be.upload(d.labels.data(), labels.data(), labels.size() * sizeof(int32_t));
  return d;
}

// ---- autoencoder ---------------------------------------------------------------------------------

BatchPart batch_part(int batch, int part, int parts) {
  const int base = batch / parts, extra = batch % parts;
  return {part * base + std::min(part, extra), base + (part < extra ? 1 : 0)};
}

void gather_part(Backend& be, const Shape4& sample, const float* data, const int32_t* batch_index,
                 int batch, const BatchPart& part, const AugmentSpec& aug, float* out) {
  // gather_batch picks cell i's symmetry by hash(seed, step * count + i), count being the cells
  // it gathers. For part p of P equal parts of b cells, step' = step * P + p gives
  // step' * b + i = step * batch + p * b + i: the whole batch's keys, in one call. Unequal parts
  // (the short last batch) go cell by cell: count 1 and step' = step * batch + begin + i.
  const int32_t* index = batch_index + part.begin;
  if (!aug.rotate_flip || aug.symmetry >= 0) {
    be.gather_batch(sample, data, index, part.count, aug, out);
    return;
  }
  const int parts = part.count > 0 ? batch / part.count : 1;
  if (part.count * parts == batch && part.begin % part.count == 0) {
    AugmentSpec a = aug;
    a.step = aug.step * uint64_t(parts) + uint64_t(part.begin / part.count);
    be.gather_batch(sample, data, index, part.count, a, out);
    return;
  }
  const size_t per = sample.per_sample();
  for (int i = 0; i < part.count; ++i) {
    AugmentSpec a = aug;
    a.step = aug.step * uint64_t(batch) + uint64_t(part.begin + i);
    be.gather_batch(sample, data, index + i, 1, a, out + size_t(i) * per);
  }
}

namespace {
// The MSE of answering every image with the per-pixel mean image: the best any constant output can
// do. A collapsed autoencoder sits at (or above) it.
double mean_image_loss(Backend& be, const DeviceImages& data, const std::vector<int>& rows) {
  // Each image is a row of per-pixel values: the per-pixel sums are column sums.
  const size_t per = data.shape.per_sample();
  const ColumnSums c = column_sums_of(be, data.images.data(), int(per), as_i32(rows));
  double n = double(rows.size()), total = 0;
  for (size_t i = 0; i < per; ++i) total += c.sq[i] / n - (c.sum[i] / n) * (c.sum[i] / n);
  return total / double(per);
}
}  // namespace

AeTrainResult train_autoencoder(Trainer& ae, const DeviceImages& data,
                                const std::vector<int>& train, const AeTrainOptions& opt,
                                AeTrainState& state, const TrainControl& control,
                                const ProgressFn& progress) {
  Backend& be = ae.backend();
  if (train.empty()) fail("no training images");
  if (opt.epochs < 0) fail("epochs must be >= 0, got ", opt.epochs);
  check_rows(train, data.size(), "train-ae");
  const int batch = std::min<int>(opt.batch, int(train.size()));
  HEP2_CHECK(batch <= ae.max_batch(), "batch ", batch, " > planned ", ae.max_batch());
  if (opt.augment && data.shape.h != data.shape.w)
    fail("rotation augmentation needs square images, got ", data.shape.h, "x", data.shape.w,
         "; use {no_augment} or a square {size}");

  const size_t per = data.shape.per_sample();
  const EpochBatches epoch_batches{train.size(), batch};
  const size_t steps = epoch_batches.steps();
  if (state.step > steps || state.epoch_losses.size() != state.step)
    fail("the saved training position (epoch ", state.epoch, ", step ", state.step,
         ") does not fit this data (", steps, " steps per epoch); resume with the same data and batch");
  if (!(opt.noise >= 0.f && opt.noise < 1.f)) fail("the denoising noise must be in [0, 1), got ", opt.noise);
  if (opt.shards < 1 || opt.shard < 0 || opt.shard >= opt.shards)
    fail("shard ", opt.shard, " of ", opt.shards, " is not a part of a batch");
  if (!(opt.warmup_epochs >= 0 && std::isfinite(opt.warmup_epochs)))
    fail("the learning-rate warm-up must be a number of epochs >= 0, got ", opt.warmup_epochs);
  ae.set_ae_objective(opt.objective);
  Buffer<int32_t> order(be, train.size());
  Buffer<float> xb(be, size_t(batch) * per);
  // The ramp is a function of the step's position in the training only, so a resumed run ramps
  // exactly like a straight one: the optimiser counts the steps (on the device, where a captured
  // step can read them), and the ramp starts where its count stood at the first step of epoch 1.
  // (One read of the counter per call; every position takes exactly one optimiser step.)
  const double warmup_steps = opt.warmup_epochs * double(steps);
  if (warmup_steps > 0) {
    const long position = long(state.epoch - 1) * long(steps) + long(state.step);
    ae.optimizer().set_warmup(warmup_steps, ae.optimizer().steps() - position);
  } else {
    ae.optimizer().set_warmup(0, 0);
  }
  ae.set_step_graphs(opt.cuda_graph);
  Buffer<float> noisy, noise_mask;  // the corrupted batch, when denoising
  if (opt.noise > 0.f) {
    noisy = Buffer<float>(be, xb.size());
    noise_mask = Buffer<float>(be, xb.size());
  }
  Buffer<float> step_loss(be, steps);
  std::vector<float> losses(steps);
  std::vector<int32_t> perm;
  Rng rng(opt.seed, 0xae);
  if (state.rng_inc) rng.restore(state.rng_state, state.rng_inc);

  AeTrainResult res;
  res.epochs = state.history;
  res.mean_image_loss = mean_image_loss(be, data, train);
  auto t_all = Clock::now();
  size_t images_done = 0;
  long steps_done = 0;
  auto stop_requested = [&] {
    return (control.stop && control.stop->load()) ||
           (control.stop_after_steps >= 0 && steps_done >= control.stop_after_steps);
  };
  for (int epoch = state.epoch; epoch <= opt.epochs; ++epoch) {
    auto t0 = Clock::now();
    state.rng_state = rng.state();
    state.rng_inc = rng.inc();
    perm = as_i32(train);  // the order depends only on the generator's state: resumable
    shuffle(perm, rng);
    be.upload(order.data(), perm.data(), perm.size() * sizeof(int32_t));
    const size_t first = state.step;
    std::copy(state.epoch_losses.begin(), state.epoch_losses.end(), losses.begin());
    for (size_t s = first; s < steps; ++s) {
      const size_t start = s * batch;
      const int nb = epoch_batches.size_of(s);
      AugmentSpec aug{opt.augment, opt.seed, (uint64_t(epoch) << 32) + s};
      Shape4 sample{1, data.shape.c, data.shape.h, data.shape.w};
      // This process's cells of the global batch: all of them, or its part (data parallel).
      const BatchPart part = batch_part(nb, opt.shard, opt.shards);
      if (part.count == 0) {
        ae.empty_step(step_loss.data() + s);
      } else {
        gather_part(be, sample, data.images.data(), order.data() + start, nb, part, aug, xb.data());
        if (opt.noise > 0.f) {
          // The corruption of a cell depends only on (seed, epoch, step, the cell's place in the
          // global batch): resumable like the augmentation, and the same on any number of
          // replicas (a part draws what the whole batch draws at its place: seed_at).
          const uint64_t noise_seed = hash_u32(opt.seed ^ 0xd15e, (uint64_t(epoch) << 32) + s);
          be.dropout_forward(size_t(part.count) * per, opt.noise,
                             seed_at(noise_seed, uint64_t(part.begin) * per), xb.data(),
                             noise_mask.data(), noisy.data());
          ae.ae_step(part.count, noisy.data(), step_loss.data() + s, xb.data());
        } else {
          ae.ae_step(part.count, xb.data(), step_loss.data() + s);
        }
      }
      images_done += size_t(nb);
      ++steps_done;
      // The only synchronisation in the loop: a loss read for the progress line, now and then.
      if (progress && (s % 20 == 19 || s + 1 == steps)) {
        float l = 0;
        be.download(&l, step_loss.data() + s, sizeof(float));
        double ips = double(images_done) / std::max(seconds_since(t_all), 1e-9);
        double left = double(steps - s - 1) * batch + double(opt.epochs - epoch) * train.size();
        progress({"train-ae", epoch, opt.epochs, s + 1, steps, l, ips, left / std::max(ips, 1e-9)});
      }
      if (s + 1 < steps && stop_requested()) {
        // Save the position inside the epoch: the next run re-creates this epoch's order from
        // the saved generator state and continues with step s + 1.
        state.step = s + 1;
        state.epoch_losses.resize(state.step);
        be.download(state.epoch_losses.data() + first, step_loss.data() + first,
                    (state.step - first) * sizeof(float));
        for (size_t k = first; k < state.step; ++k)
          if (!std::isfinite(state.epoch_losses[k])) diverged(state.epoch_losses[k], epoch);
        state.epoch = epoch;
        if (control.checkpoint) control.checkpoint(state);
        res.stopped = true;
        res.seconds = seconds_since(t_all);
        res.images_per_s = double(images_done) / std::max(res.seconds, 1e-9);
        return res;
      }
    }
    be.download(losses.data() + first, step_loss.data() + first, (steps - first) * sizeof(float));
    EpochStat st;
    st.epoch = epoch;
    st.loss = epoch_batches.mean_loss(losses);
    st.seconds = seconds_since(t0);
    st.images_per_s = double((steps - first) * batch) / std::max(st.seconds, 1e-9);
    res.epochs.push_back(st);
    if (!std::isfinite(st.loss)) diverged(st.loss, epoch);
    bool stalled = res.epochs.size() >= 2 &&
                   res.epochs[res.epochs.size() - 2].loss - st.loss < 0.01 * st.loss;
    if (size_t(epoch) * steps >= opt.collapse_min_steps && stalled &&
        st.loss >= opt.collapse_ratio * res.mean_image_loss)
      fail("the autoencoder collapsed: after ", epoch, " epochs its loss ", st.loss,
           " is no better than a constant output (", res.mean_image_loss,
           "); train on the cross-entropy ({ae_loss} bce), lower the learning rate ({lr}, e.g. "
           "1e-4) or try another {seed}");
    state.epoch = epoch + 1;
    state.step = 0;
    state.epoch_losses.clear();
    state.history = res.epochs;
    state.rng_state = rng.state();
    state.rng_inc = rng.inc();
    if (control.checkpoint) control.checkpoint(state);
    if (epoch < opt.epochs && stop_requested()) {
      res.stopped = true;
      break;
    }
  }
  res.seconds = seconds_since(t_all);
  res.images_per_s = double(images_done) / std::max(res.seconds, 1e-9);
  return res;
}

// ---- features ------------------------------------------------------------------------------------

const float* symmetry_view(Backend& be, const DeviceImages& data, const int32_t* all_index,
                          size_t start, int count, int symmetry, float* buffer) {
  if (symmetry == 0) return data.images.data() + start * data.shape.per_sample();
  const Shape4 sample{1, data.shape.c, data.shape.h, data.shape.w};
  AugmentSpec aug;
  aug.rotate_flip = true;
  aug.symmetry = symmetry;
  be.gather_batch(sample, data.images.data(), all_index + start, count, aug, buffer);
  return buffer;
}

DeviceFeatures extract_features(Trainer& ae, size_t latent_end, const DeviceImages& data,
                                int batch, int views, const ProgressFn& progress) {
  Backend& be = ae.backend();
  if (views < 1 || views > 8) fail("views must be 1..8 (symmetries of the square), got ", views);
  if (views > 1 && data.shape.h != data.shape.w)
    fail("rotated/flipped views need square images, got ", data.shape.h, "x", data.shape.w,
         "; use {views} 1 or a square {size}");
  batch = std::max(1, std::min(batch, ae.max_batch()));
  DeviceFeatures f;
  f.count = int(data.size());
  f.views = views;
  f.dim = int(ae.net().output_shape(latent_end - 1, 1).per_sample());
  f.values = Buffer<float>(be, f.rows() * f.dim);
  const size_t per = data.shape.per_sample(), n = data.size();
  // Views other than the identity are gathered through the backend's symmetry transform.
  Buffer<int32_t> index;
  Buffer<float> xb;
  if (views > 1) {
    std::vector<int32_t> all(n);
    std::iota(all.begin(), all.end(), 0);
    index = Buffer<int32_t>(be, n);
    be.upload(index.data(), all.data(), n * sizeof(int32_t));
    xb = Buffer<float>(be, size_t(batch) * per);
  }
  const size_t total = n * size_t(views);
  auto t0 = Clock::now();
  size_t done = 0;
  for (int v = 0; v < views; ++v) {
    for (size_t start = 0; start < n; start += batch) {
      int nb = int(std::min<size_t>(batch, n - start));
      const float* x = symmetry_view(be, data, index.data(), start, nb, v, xb.data());
      const float* z = ae.forward(nb, x, false, 0, latent_end);
      be.copy(f.values.data() + (size_t(v) * n + start) * f.dim, z,
              size_t(nb) * f.dim * sizeof(float));
      done += size_t(nb);
      if (progress && ((start / batch) % 20 == 19 || done == total)) {
        be.sync();
        double ips = double(done) / std::max(seconds_since(t0), 1e-9);
        progress({"extract", v + 1, views, start + nb, n, std::nan(""), ips,
                  double(total - done) / std::max(ips, 1e-9)});
      }
    }
  }
  be.sync();
  f.seconds = seconds_since(t0);
  f.images_per_s = double(total) / std::max(f.seconds, 1e-9);
  return f;
}

std::vector<float> download_features(Backend& be, const DeviceFeatures& f) {
  std::vector<float> host(f.values.size());
  be.download(host.data(), f.values.data(), f.values.bytes());
  return host;
}

// ---- feature standardisation ----------------------------------------------------------------------

FeatureScaler fit_feature_scaler(Backend& be, const DeviceFeatures& f, const std::vector<int>& rows,
                                 FeatureScaling scaling) {
  HEP2_CHECK(scaling != FeatureScaling::Auto, "the feature scaling must be resolved before fitting");
  if (rows.empty()) fail("cannot fit the feature scaler on zero rows");
  check_rows(rows, size_t(f.count), "feature scaler");
  // Every view of every chosen cell, view-major as the rows are stored; summed where they are.
  std::vector<int32_t> index;
  index.reserve(rows.size() * size_t(f.views));
  for (int v = 0; v < f.views; ++v)
    for (int r : rows) index.push_back(int32_t(size_t(v) * f.count + size_t(r)));
  const size_t d = size_t(f.dim);
  const ColumnSums c = column_sums_of(be, f.values.data(), f.dim, index);
  FeatureScaler s;
  s.scaling = scaling;
  s.mean.resize(d);
  s.inv_std.resize(d);
  const double n = double(rows.size()) * f.views;
  double var_sum = 0;
  for (size_t j = 0; j < d; ++j) {
    double m = c.sum[j] / n;
    double var = std::max(c.sq[j] / n - m * m, 0.0);
    s.mean[j] = float(m);
    var_sum += var;
    // A feature that never varies (a unit that never fires) stays at 0 after centring; the floor
    // only keeps its scale finite.
    s.inv_std[j] = float(1.0 / std::max(std::sqrt(var), 1e-3));
  }
  if (scaling == FeatureScaling::Pooled)
    std::fill(s.inv_std.begin(), s.inv_std.end(), float(1.0 / std::max(std::sqrt(var_sum / double(d)), 1e-3)));
  return s;
}

void apply_feature_scaler(Backend& be, const FeatureScaler& s, DeviceFeatures& f) {
  if (s.mean.size() != size_t(f.dim) || s.inv_std.size() != size_t(f.dim))
    fail("the feature scaler has ", s.mean.size(), " columns but the features have ", f.dim);
  Buffer<float> mean(be, s.mean.size()), inv(be, s.inv_std.size());
  be.upload(mean.data(), s.mean.data(), mean.bytes());
  be.upload(inv.data(), s.inv_std.data(), inv.bytes());
  be.standardize_columns(int(f.rows()), f.dim, f.values.data(), mean.data(), inv.data(),
                         f.values.data());
  be.sync();  // the temporaries are freed on return
}

// ---- classifier ----------------------------------------------------------------------------------

namespace {
// Where view v of cell i comes from: its own feature row, or the cell's image under symmetry v.
int32_t view_row(const SampleSet& x, int32_t cell, int v) {
  return x.views_are_rows ? int32_t(v * x.count + cell) : cell;
}
AugmentSpec view_transform(const SampleSet& x, int v) {
  AugmentSpec aug;
  if (!x.views_are_rows && v > 0) {
    aug.rotate_flip = true;
    aug.symmetry = v;
  }
  return aug;
}
void check_views(const SampleSet& x) {
  if (x.views < 1 || x.views > 8) fail("views must be 1..8, got ", x.views);
  if (!x.views_are_rows && x.views > 1 && x.sample.h != x.sample.w)
    fail("rotated/flipped views need square images, got ", x.sample.h, "x", x.sample.w);
}
}  // namespace

namespace {
// One prediction pass over a fixed list of cells, with its device buffers (the cells' rows, a
// batch, every member's probabilities) allocated once: train_classifier predicts its validation
// cells every epoch, and on the GPU each cudaFree would synchronise the device. Each batch is
// gathered once and run through every member (one upload of the rows, one download of all
// probabilities per run).
class Predictor {
 public:
  Predictor(const std::vector<Trainer*>& members, const SampleSet& features,
            const std::vector<int>& rows)
      : members_(members), features_(features), n_(rows.size()) {
    if (members.empty()) fail("predict: a classifier needs at least one member");
    Backend& be = members[0]->backend();
    check_rows(rows, size_t(features.count), "predict");
    check_views(features);
    auto classes_of = [](Trainer& t) {
      return t.net().output_shape(t.net().layer_count() - 1, 1).c;
    };
    classes_ = classes_of(*members[0]);
    batch_ = members[0]->max_batch();
    for (Trainer* m : members) {
      if (classes_of(*m) != classes_) fail("predict: ensemble members disagree on the classes");
      batch_ = std::min(batch_, m->max_batch());
    }
    if (rows.empty()) return;
    // All views of the requested cells, view-major.
    const size_t views = size_t(features.views);
    std::vector<int32_t> idx(n_ * views);
    for (size_t v = 0; v < views; ++v)
      for (size_t i = 0; i < n_; ++i) idx[v * n_ + i] = view_row(features, rows[i], int(v));
    order_ = Buffer<int32_t>(be, idx.size());
    be.upload(order_.data(), idx.data(), idx.size() * sizeof(int32_t));
    xb_ = Buffer<float>(be, size_t(batch_) * features.sample.per_sample());
    out_ = Buffer<float>(be, members.size() * idx.size() * size_t(classes_));
  }

  // The probabilities (n x classes): each member's mean over views, then the mean over members.
  std::vector<float> run() {
    std::vector<float> probs(n_ * classes_, 0.f);
    if (n_ == 0) return probs;
    Backend& be = members_[0]->backend();
    const size_t views = size_t(features_.views), k_members = members_.size();
    const size_t per_member = n_ * views * size_t(classes_);
    for (size_t v = 0; v < views; ++v) {
      const AugmentSpec aug = view_transform(features_, int(v));
      for (size_t start = 0; start < n_; start += size_t(batch_)) {
        int nb = int(std::min<size_t>(size_t(batch_), n_ - start));
        size_t at = v * n_ + start;
        be.gather_batch(features_.sample, features_.data, order_.data() + at, nb, aug,
                        xb_.data());
        for (size_t k = 0; k < k_members; ++k) {
          const float* z = members_[k]->forward(nb, xb_.data(), false);
          be.softmax(nb, classes_, z, out_.data() + k * per_member + at * classes_);
        }
      }
    }
    std::vector<float> all(out_.size());
    be.download(all.data(), out_.data(), out_.bytes());
    // Summed in a fixed order.
    std::vector<float> member(n_ * classes_);
    for (size_t k = 0; k < k_members; ++k) {
      std::fill(member.begin(), member.end(), 0.f);
      for (size_t v = 0; v < views; ++v)
        for (size_t i = 0; i < n_ * classes_; ++i)
          member[i] += all[k * per_member + v * n_ * classes_ + i];
      if (views > 1)
        for (float& p : member) p /= float(views);
      for (size_t i = 0; i < n_ * classes_; ++i) probs[i] += member[i];
    }
    if (k_members > 1)
      for (float& p : probs) p /= float(k_members);
    return probs;
  }

 private:
  std::vector<Trainer*> members_;
  SampleSet features_;
  size_t n_ = 0;
  int classes_ = 0, batch_ = 0;
  Buffer<int32_t> order_;
  Buffer<float> xb_, out_;
};
}  // namespace

std::vector<float> predict_probabilities(const std::vector<Trainer*>& members,
                                         const SampleSet& features, const std::vector<int>& rows) {
  return Predictor(members, features, rows).run();
}

std::vector<float> predict_probabilities(Trainer& mlp, const SampleSet& features,
                                         const std::vector<int>& rows) {
  return predict_probabilities(std::vector<Trainer*>{&mlp}, features, rows);
}

std::vector<int32_t> argmax_rows(const std::vector<float>& probs, int classes) {
  std::vector<int32_t> out(probs.size() / classes);
  for (size_t i = 0; i < out.size(); ++i) {
    const float* p = probs.data() + i * classes;
    out[i] = int32_t(std::max_element(p, p + classes) - p);
  }
  return out;
}

ClfTrainResult train_classifier(Trainer& mlp, const SampleSet& features,
                                const Buffer<int32_t>& labels, const std::vector<int>& train,
                                const std::vector<int>& validation, const ClfTrainOptions& opt,
                                const ProgressFn& progress) {
  Backend& be = mlp.backend();
  if (train.empty()) fail("no training features");
  if (opt.epochs < 0) fail("epochs must be >= 0, got ", opt.epochs);
  check_rows(train, size_t(features.count), "train-clf");
  check_rows(validation, size_t(features.count), "train-clf validation");
  check_views(features);
  const int batch = std::min<int>(opt.batch, int(train.size()));
  HEP2_CHECK(batch <= mlp.max_batch(), "batch ", batch, " > planned ", mlp.max_batch());
  if (opt.shards < 1 || opt.shard < 0 || opt.shard >= opt.shards)
    fail("shard ", opt.shard, " of ", opt.shards, " is not a part of a batch");
  const int classes = mlp.net().output_shape(mlp.net().layer_count() - 1, 1).c;
  const EpochBatches epoch_batches{train.size(), batch};
  const size_t steps = epoch_batches.steps();
  // order: the cells of this epoch (their labels); rows: the view of each that the MLP sees.
  Buffer<int32_t> order(be, train.size()), rows(be, train.size());
  std::vector<int32_t> view_rows(train.size());
  const Shape4 sample = features.sample;
  Buffer<float> xb(be, size_t(batch) * sample.per_sample());
  Buffer<int32_t> yb(be, batch);
  Buffer<float> step_loss(be, steps);
  std::vector<float> losses(steps);
  std::vector<int32_t> perm = as_i32(train);
  Rng rng(opt.seed, 0xc1f);

  std::vector<int32_t> val_truth(validation.size());
  std::vector<std::vector<int32_t>> train_by_class(static_cast<size_t>(classes));
  std::vector<double> val_class_weight(size_t(classes), 0.0);
  if (!validation.empty() || opt.balance) {
    std::vector<int32_t> all(size_t(features.count));
    be.download(all.data(), labels.data(), all.size() * sizeof(int32_t));
    auto check_label = [&](int i) {
      if (all[i] < 0 || all[i] >= classes)
        fail("train-clf: cell ", i, " has label ", all[i], " but the classifier has ", classes,
             " classes");
    };
    for (size_t i = 0; i < validation.size(); ++i) {
      check_label(validation[i]);
      val_truth[i] = all[validation[i]];
    }
    if (opt.balance)
      for (int i : train) {
        check_label(i);
        train_by_class[size_t(all[i])].push_back(int32_t(i));
      }
  }
  if (opt.balance) {  // each class's mean validation loss counts the same, whatever its size
    std::vector<size_t> per_class(size_t(classes), 0);
    for (int32_t t : val_truth) ++per_class[size_t(t)];
    size_t present = 0;
    for (size_t n : per_class) present += n > 0;
    for (size_t c = 0; c < per_class.size(); ++c)
      if (per_class[c]) val_class_weight[c] = 1.0 / (double(per_class[c]) * double(present));
  }

  // The validation pass's buffers, made once for all epochs.
  std::optional<Predictor> validate;
  if (!validation.empty()) validate.emplace(std::vector<Trainer*>{&mlp}, features, validation);

  ClfTrainResult res;
  double best = std::numeric_limits<double>::infinity();
  std::vector<float> best_params;
  int since_best = 0;
  auto t_all = Clock::now();
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    auto t0 = Clock::now();
    if (opt.balance)
      perm = balanced_order(train_by_class, train.size(), rng);
    else
      shuffle(perm, rng);
    be.upload(order.data(), perm.data(), perm.size() * sizeof(int32_t));
    // A random view of each cell per epoch (image views come from the augmentation instead).
    const bool row_views = features.views_are_rows && features.views > 1;
    if (row_views) {
      for (size_t k = 0; k < perm.size(); ++k)
        view_rows[k] = view_row(
            features, perm[k],
            int(hash_u32(opt.seed ^ 0x71e3, (uint64_t(epoch) << 32) + k) % uint32_t(features.views)));
      be.upload(rows.data(), view_rows.data(), view_rows.size() * sizeof(int32_t));
    }
    const int32_t* gather_rows = row_views ? rows.data() : order.data();
    for (size_t s = 0; s < steps; ++s) {
      const size_t start = s * batch;
      const int nb = epoch_batches.size_of(s);
      // This process's cells of the global batch: all of them, or its part (data parallel),
      // with the augmentation and dropout masks they get in the whole batch.
      const BatchPart part = batch_part(nb, opt.shard, opt.shards);
      if (part.count == 0) {
        mlp.empty_step(step_loss.data() + s);
        continue;
      }
      AugmentSpec aug{features.augment, opt.seed, (uint64_t(epoch) << 32) + s};
      gather_part(be, sample, features.data, gather_rows + start, nb, part, aug, xb.data());
      be.gather_labels(labels.data(), order.data() + start + part.begin, part.count, yb.data());
      uint64_t seed = hash_u32(opt.seed, (uint64_t(epoch) << 32) + s);
      mlp.clf_step(part.count, xb.data(), yb.data(), seed, step_loss.data() + s, part.begin);
    }
    be.download(losses.data(), step_loss.data(), steps * sizeof(float));
    EpochStat st;
    st.epoch = epoch;
    st.loss = epoch_batches.mean_loss(losses);
    if (!std::isfinite(st.loss)) classifier_diverged("training", st.loss, epoch);
    if (!validation.empty()) {
      std::vector<float> p = validate->run();
      double vl = 0;
      size_t correct = 0;
      for (size_t i = 0; i < validation.size(); ++i) {
        const float* row = p.data() + i * classes;
        const double loss = -std::log(std::max(double(row[val_truth[i]]), 1e-12));
        vl += opt.balance ? val_class_weight[size_t(val_truth[i])] * loss : loss;
        correct += size_t(std::max_element(row, row + classes) - row) == size_t(val_truth[i]);
      }
      st.val_loss = opt.balance ? vl : vl / double(validation.size());
      st.val_acc = double(correct) / double(validation.size());
      if (opt.agree) {  // data parallel: every replica decides on the same figures
        double figures[2] = {st.val_loss, st.val_acc};
        opt.agree(figures, 2);
        st.val_loss = figures[0];
        st.val_acc = figures[1];
      }
      // The last update of the epoch is seen here first (the training loss predates it).
      if (!std::isfinite(st.val_loss)) classifier_diverged("validation", st.val_loss, epoch);
      if (st.val_loss < best) {
        best = st.val_loss;
        res.best_epoch = epoch;
        best_params = mlp.block().get_params(be);
        since_best = 0;
      } else if (++since_best >= opt.patience) {
        st.seconds = seconds_since(t0);
        res.epochs.push_back(st);
        break;
      }
    } else {
      res.best_epoch = epoch;
    }
    st.seconds = seconds_since(t0);
    st.images_per_s = double(train.size()) / std::max(st.seconds, 1e-9);
    res.epochs.push_back(st);
    if (progress) {
      double eta = st.seconds * (opt.epochs - epoch);
      progress({"train-clf", epoch, opt.epochs, steps, steps, st.loss, st.images_per_s, eta});
    }
  }
  if (!best_params.empty()) {
    // Keep the optimiser's step count: restoring parameters is not a restart of training.
    long t = mlp.optimizer().steps();
    mlp.block().set_params(be, best_params);
    mlp.optimizer().set_steps(t);
  }
  // Without validation nothing has run the parameters after the last update: one that blew them
  // up (to ~1e30, still finite) would otherwise be saved and answer NaN for every cell.
  const std::vector<int> probe(train.begin(), train.begin() + batch);
  for (float p : predict_probabilities(mlp, features, probe))
    if (!std::isfinite(p))
      fail("the classifier's parameters became unusable in its last update (its outputs are not ",
           "finite); lower the classifier learning rate ({clf_lr})");
  res.seconds = seconds_since(t_all);
  return res;
}

}  // namespace hep2
