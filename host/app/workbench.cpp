// Workbench: the run folder's steps of the method and their artefacts.
#include "workbench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "choices.h"
#include "hep2/core/error.h"
#include "hep2/core/joined.h"
#include "data_parallel.h"
#include "hep2/dist/gradient_sum.h"
#include "hep2/dist/placement.h"
#include "hep2/dist/units.h"
#include "hep2/io/atomic_file.h"
#include "hep2/io/npy.h"
#include "hep2/pipeline/ae_epochs.h"
#include "hep2/pipeline/cell_roles.h"
#include "hep2/pipeline/epoch_batches.h"
#include "hep2/pipeline/feature_rows.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/model_json.h"
#include "hep2/pipeline/saved_models.h"
#include "hep2/pipeline/synth.h"
#include "hep2/pipeline/trainer_checkpoint.h"
#include "hep2/pipeline/unlabelled_cells.h"
#include "hep2/report/confusion_png.h"
#include "hep2/report/csv.h"
#include "hep2/report/image_grid.h"
#include "hep2/report/line_plot.h"
#include "settings.h"

namespace fs = std::filesystem;

namespace hep2::app {

std::unique_ptr<Backend> open_backend(const Options& opt) {
  const std::string& d = opt.device;
  // In a job of several ranks, each takes its node's GPU local_rank % devices, or its share of
  // the node's cores (dist/placement.h); alone, GPU 0 and --threads as given.
  const dist::Communicator& job = dist::world();
  const int threads = dist::rank_threads(job, opt.threads);
  if (d == "cpu") return make_cpu_backend(threads);
  if (d == "auto") {
    if (cuda_device_count() > 0)
      return make_cuda_backend(dist::rank_device(job, cuda_device_count()), opt.tf32);
    return make_cpu_backend(threads);
  }
  if (d == "cuda") return make_cuda_backend(dist::rank_device(job, cuda_device_count()), opt.tf32);
  if (d.rfind("cuda:", 0) == 0) {
    std::string n = d.substr(5);
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos)
      fail("--device ", d, ": expected cuda:N with N a device number");
    return make_cuda_backend(std::stoi(n), opt.tf32);
  }
  fail("--device ", d, ": use auto, cpu, cuda or cuda:N");
}

namespace {
Options validated(Options o) {
  validate(o);
  return o;
}
}  // namespace

Workbench::Workbench(Options o, std::string dir)
    : opt(validated(std::move(o))), run_dir(std::move(dir)), be_(open_backend(opt)) {
  // Before anything is loaded or written: a run refused for its options leaves no folder.
  if (opt.cuda_graph && !be_->can_capture())
    fail("option --cuda-graph: CUDA graphs need the CUDA backend, and this run uses ", be_->name(),
         " (--device ", opt.device, "); drop --cuda-graph or use --device cuda");
}

Workbench::Workbench(Options o, std::string dir, const Workbench& shared, SplitIndices split)
    : opt(validated(std::move(o))),
      run_dir(std::move(dir)),
      command(shared.command),
      be_(shared.be_),
      cells_(shared.cells_),
      split_(std::move(split)),
      class_names_(shared.class_names_) {
  labelled_ = labelled_subset(split_.train, data().labels, data().groups);
}

std::vector<int> Workbench::labelled_subset(const std::vector<int>& train,
                                            const std::vector<int32_t>& labels,
                                            const std::vector<std::string>& groups) const {
  return hep2::labelled_subset(train, labels, groups, opt.train_cells, opt.seed);
}

std::vector<int> Workbench::unlabelled_subset(const std::vector<int>& train,
                                              const std::vector<int>& labelled,
                                              const std::vector<int>& test) const {
  const UnlabelledSources u = unlabelled_sources(opt.unlabeled);
  return hep2::unlabelled_subset(train, labelled, test, u.train, u.test);
}

void Workbench::save_config() const {
  dcae_config();
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec)
    fail("cannot create the run folder ", run_dir, ": ", ec.message(), "; choose a writable --out folder");
  nlohmann::json j = to_json(opt);
  j["out"] = run_dir;
  j["backend"] = be_->name();
  j["peak_device_bytes"] = be_->peak_bytes();  // the whole run so far: data, models, workspaces
  j["version"] = HEP2_VERSION;
  write_file_atomic(path("config.json"), j.dump(2) + "\n");
}

DcaeConfig Workbench::dcae_config() const {
  DcaeConfig c;
  c.height = c.width = opt.size;
  c.channels = opt.channels;
  c.decoder = opt.decoder;
  c.validate();
  return c;
}

std::vector<DcaeMember> Workbench::dcae_members() const {
  return hep2::dcae_members(opt.dcae_ensemble, opt.seed);
}

std::vector<Reading> Workbench::readings(const DcaeMember& member) const {
  return member_readings(member, opt.size, opt.stats_sizes);
}

std::vector<Reading> Workbench::readings() const {
  return all_readings(opt.dcae_ensemble, opt.seed, opt.size, opt.stats_sizes);
}

MlpConfig Workbench::mlp_config(int inputs, int classes) const {
  MlpConfig c;
  c.inputs = inputs;
  c.classes = classes;
  c.dropout = float(opt.dropout);
  // One dense layer holds the least-squares scores; the supervised baseline keeps its MLP.
  if (opt.classifier == ClassifierKind::Linear && opt.method != Method::Supervised) c.hidden.clear();
  c.validate();
  return c;
}

PreprocessOptions Workbench::preprocess_options(int size) const {
  PreprocessOptions pp;
  pp.height = pp.width = size;
  pp.use_mask = !opt.no_mask;
  pp.norm = opt.norm;
  pp.channel = opt.channel;
  return pp;
}

void Workbench::load_data() {
  CellSource source;
  if (opt.data.empty()) {
    // Rendered at --size whatever the preprocessing size, so every size sees the same cells.
    SynthOptions so;
    so.count = opt.synth_count;
    so.size = opt.size;
    so.seed = opt.seed;
    source = [so](const PreprocessOptions& pp, const std::vector<int>* rows) {
      Dataset d = synthesize(so, pp);
      return rows ? subset(d, *rows) : d;
    };
  } else {
    CellList list = open_cell_list(opt.data);
    if (!opt.classes.empty()) list = keep_classes(list, opt.classes);
    source = [data = opt.data, all = list, progress = &progress_](const PreprocessOptions& pp,
                                                                  const std::vector<int>* rows) {
      const CellList chosen = rows ? select_cells(all, *rows) : all;
      const std::string change =
          pp.photometric.identity() ? "" : ", under " + to_string(pp.photometric);
      std::fprintf(stderr, "loading %zu cells from %s at %dx%d%s\n", chosen.cells.size(),
                   data.c_str(), pp.width, pp.height, change.c_str());
      auto t0 = std::chrono::steady_clock::now();
      Dataset d = load_dataset(chosen, pp, [progress, t0](size_t done, size_t total) {
        double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        double ips = double(done) / std::max(el, 1e-9);
        (*progress)(TrainProgress{"load", 1, 1, done, total, std::nan(""), ips,
                                  double(total - done) / std::max(ips, 1e-9)});
      });
      progress->finish();
      return d;
    };
  }
  cells_ = std::make_shared<ResidentCells>(*be_, source, preprocess_options(opt.size));
  class_names_ = data().class_names;
  split_ = split_dataset(data(), opt.test_fraction, opt.seed);
  if (split_.train.empty() || split_.test.empty())
    fail("the split of ", data().size(), " cells left ", split_.train.size(), " for training and ",
         split_.test.size(), " for testing; both need cells (check the split column or --test-fraction)");
  labelled_ = labelled_subset(split_.train, data().labels, data().groups);
}

void Workbench::use_cells(CellSource source) {
  const PreprocessOptions pp = preprocess_options(opt.size);
  Dataset d = source(pp, nullptr);
  cells_ = std::make_shared<ResidentCells>(*be_, std::move(d), pp, std::move(source));
}

const std::vector<std::string>& Workbench::groups() const {
  return cells_ ? data().groups : groups_;
}

namespace {

// The last kCheckpointsKept checkpoints stay: name, name.1, name.2 (oldest).
constexpr int kCheckpointsKept = 3;
void rotate_checkpoints(const std::string& file) {
  std::error_code ec;
  for (int i = kCheckpointsKept - 1; i >= 1; --i) {
    std::string from = i == 1 ? file : file + "." + std::to_string(i - 1);
    if (fs::exists(from)) fs::rename(from, file + "." + std::to_string(i), ec);
  }
}

OptimizerConfig adam(double lr, double wd) {
  OptimizerConfig o;
  o.lr = float(lr);
  o.weight_decay = float(wd);
  return o;
}

const char* suffix_of(AeInput input) { return input == AeInput::Images ? "" : "_grad"; }

}  // namespace

std::atomic<bool> g_stop_requested{false};

std::string Workbench::ae_file(const DcaeMember& member, AeInput input) const {
  return path("dcae" + member.tag + suffix_of(input) + ".ckpt");
}

double Workbench::ae_lr(AeInput input) const {
  return input == AeInput::GradientMagnitude && opt.grad_lr > 0 ? opt.grad_lr : opt.lr;
}

const DeviceImages& Workbench::ae_cells(AeInput input) const {
  return input == AeInput::Images ? cells_->images() : cells_->gradient_magnitudes();
}

Workbench::AeCells Workbench::ae_training_cells(AeInput input) {
  const UnlabelledSources u = unlabelled_sources(opt.unlabeled);
  if (u.path.empty()) {
    std::vector<int> rows = labelled_;
    if (u.train && !u.test) {
      rows = split_.train;  // in the order earlier runs used: their figures repeat bit for bit
    } else {
      const std::vector<int> more = unlabelled_subset(split_.train, labelled_, split_.test);
      rows.insert(rows.end(), more.begin(), more.end());
    }
    return {&ae_cells(input), rows, rows.size() - labelled_.size()};
  }
  const Dataset& d = data();
  if (!with_unlabeled_) {
    const Dataset& extra = path_cells(split_.test).data();
    std::vector<float> images = d.images;
    images.insert(images.end(), extra.images.begin(), extra.images.end());
    std::vector<int32_t> labels = d.labels;
    labels.resize(labels.size() + extra.size(), -1);
    Shape4 shape = d.shape;
    shape.n = int(d.size() + extra.size());
    with_unlabeled_ = std::make_shared<DeviceImages>(upload_images(*be_, shape, images, labels));
  }
  std::vector<int> rows = labelled_;
  for (size_t i = d.size(); i < with_unlabeled_->size(); ++i) rows.push_back(int(i));
  return {with_unlabeled_.get(), rows, with_unlabeled_->size() - d.size()};
}

ResidentCells& Workbench::path_cells(const std::vector<int>& test) {
  if (path_cells_) return *path_cells_;
  if (!cells_) load_data();  // the classifier steps: the data's paths, to refuse its test cells
  const std::string path = unlabelled_sources(opt.unlabeled).path;
  HEP2_CHECK(!path.empty(), "--unlabeled names no folder or manifest");
  const CellList list = open_unlabelled(path);
  auto cells = std::make_shared<ResidentCells>(
      *be_, cells_of(list), preprocess_options(opt.size));
  const Dataset& d = data();
  const Dataset& extra = cells->data();
  if (extra.size() == 0) fail("--unlabeled ", path, ": no cells");
  // Never the evaluation's test cells, unless asked: the figures would be transductive.
  refuse_test_cells(path, extra.paths, d.paths, test, opt.transductive);
  path_cells_ = std::move(cells);
  return *path_cells_;
}

std::vector<int> Workbench::append_path_features(DeviceFeatures& f, const Reading& reading,
                                                 const std::vector<int>& test) {
  if (opt.clf_self_train == 0 || opt.classifier != ClassifierKind::Linear ||
      unlabelled_sources(opt.unlabeled).path.empty())
    return {};
  const DeviceFeatures g =
      extract(load_ae(reading.member, AeInput::Images, reading.size), path_cells(test).at(reading.size));
  DeviceFeatures both = append_rows(*be_, f, g);
  std::vector<int> rows;
  for (int i = f.count; i < both.count; ++i) rows.push_back(i);
  f = std::move(both);
  return rows;
}

CopiedRows Workbench::append_copies(DeviceFeatures& f, const Reading& reading,
                                   const std::vector<int>& train) {
  CopiedRows copies;
  if (opt.clf_augment.empty() || train.empty()) return copies;
  if (opt.clf_augment_below > 0 && train.size() >= size_t(opt.clf_augment_below)) {
    std::fprintf(stderr, "no photometric copies: %zu labelled cells, at least --clf-augment-below %d\n",
                 train.size(), opt.clf_augment_below);
    return copies;
  }
  if (!cells_) load_data();
  // f may hold the --unlabeled PATH cells after the data's own; the copies index the data's.
  HEP2_CHECK(size_t(f.count) >= data().size(), "--clf-augment: the run's data has ", data().size(),
             " cells but its features ", f.count, " rows; run `hep2 extract` again");
  const TrainedDcae ae = load_ae(reading.member, AeInput::Images, reading.size);
  for (const Photometric& p : parse_photometric_list(opt.clf_augment)) {
    const DeviceFeatures g = extract(ae, cells_->copies(reading.size, p, train));
    DeviceFeatures both = append_rows(*be_, f, g);
    for (size_t k = 0; k < train.size(); ++k) {
      copies.rows.push_back(f.count + int(k));
      copies.of.push_back(train[k]);
    }
    f = std::move(both);
  }
  return copies;
}

int Workbench::ae_epochs(size_t cells) const {
  return hep2::ae_epochs(opt.epochs, opt.ae_min_steps, cells, opt.batch);
}

TrainedDcae Workbench::train_ae(bool resume, const DcaeMember& member, AeInput input) {
  const std::string suffix = member.tag + suffix_of(input);
  TrainedDcae ae;
  ae.config = dcae_config();
  Dcae m = build_dcae(ae.config);
  ae.latent_end = m.latent_end;
  ae.net = std::make_unique<Trainer>(*be_, std::move(m.net), opt.batch, adam(ae_lr(input), 0.f));
  Trainer& net = *ae.net;
  const AeCells training = ae_training_cells(input);
  const int epochs = ae_epochs(training.rows.size());
  AeTrainState state;
  const std::string file = ae_file(member, input);
  if (resume && fs::exists(file)) {
    state = resume_dcae(file, net, ae.config);
    if (state.finished(epochs))
      std::fprintf(stderr, "%s: trained (%d epochs)\n", file.c_str(), epochs);
    else
      std::fprintf(stderr, "%s: resuming at epoch %d, step %zu\n", file.c_str(), state.epoch,
                   state.step);
  } else {
    net.init(opt.init, member.seed);
  }
  AeTrainOptions to;
  to.epochs = epochs;
  to.batch = opt.batch;
  to.augment = !opt.no_augment;
  to.noise = float(opt.ae_noise);
  to.warmup_epochs = opt.lr_warmup;
  to.objective = opt.ae_loss;
  to.cuda_graph = opt.cuda_graph;
  to.seed = member.seed;
  // --data-parallel: every rank of the job trains this DCAE on its part of each batch; rank 0
  // alone writes its files (the ranks hold the same parameters).
  const std::unique_ptr<dist::GradientSum> replicas = join_data_parallel(opt, net, to);
  const bool writes = !replicas || dist::world().rank() == 0;
  TrainControl control;
  control.stop = &g_stop_requested;
  control.stop_after_steps = opt.stop_after_steps;
  const nlohmann::json config = to_json(ae.config);
  control.checkpoint = [&](const AeTrainState& s) {
    if (!writes) return;
    rotate_checkpoints(file);
    save_trainer(file, net, {{"kind", "dcae"}, {"config", config}, {"train_state", to_json(s)}});
    std::vector<std::vector<std::string>> rows;
    for (const EpochStat& e : s.history)
      rows.push_back({std::to_string(e.epoch), format_number(e.loss), format_number(e.seconds),
                      format_number(e.images_per_s)});
    write_csv(path("ae" + suffix + "_log.csv"), {"epoch", "loss", "seconds", "images_per_s"},
              rows);
  };
  const size_t steps = size_t(epochs) * EpochBatches{training.rows.size(),
                                                    std::min(opt.batch, int(training.rows.size()))}.steps();
  record.dcae.push_back({{"member", member.index + 1}, {"seed", member.seed},
                         {"input", input == AeInput::Images ? "cells" : "gradient magnitudes"},
                         {"cells", training.rows.size()}, {"unlabelled_cells", training.unlabelled},
                         {"epochs", epochs}, {"steps", steps}});
  record.unlabelled_cells = training.unlabelled;
  if (!state.finished(epochs)) {
    if (writes && replicas)
      std::fprintf(stderr, "data parallel: %d rank(s), gradients summed over %s\n",
                   dist::world().size(), replicas->kind());
    std::string which;
    if (opt.dcae_ensemble > 1)
      which = " (DCAE " + std::to_string(member.index + 1) + " of " +
              std::to_string(opt.dcae_ensemble) + ", seed " + std::to_string(member.seed) + ")";
    std::string unlabelled;
    if (training.unlabelled)
      unlabelled = " (" + std::to_string(training.unlabelled) + " of them unlabelled)";
    if (writes)
      std::fprintf(stderr, "%s%s%s on %s: %zu training cells%s, %d epochs (%zu steps)\n",
                   ae.config.describe().c_str(),
                   input == AeInput::Images ? "" : " (gradient-magnitude images)", which.c_str(),
                   be_->name().c_str(), training.rows.size(), unlabelled.c_str(), epochs, steps);
    AeTrainResult r = train_autoencoder(net, *training.images, training.rows, to, state, control,
                                        writes ? progress_.fn() : ProgressFn{});
    progress_.finish();
    times.train_ae_images_per_s = r.images_per_s;
    if (r.stopped) {
      // Data parallel: every rank stops at the same step; rank 0's checkpoint is written before
      // any rank leaves.
      if (replicas) dist::world().barrier();
      throw Stopped(g_stop_requested ? 130 : 0,
                    "stopped at epoch " + std::to_string(state.epoch) + ", step " +
                        std::to_string(state.step) + "; checkpoint " + file +
                        "; continue with: hep2 " + command + " --resume --out " + run_dir,
                    replicas != nullptr);
    }
    if (!r.epochs.empty() && writes) {
      Series loss{"training loss", {}, {}};
      for (const EpochStat& e : r.epochs) {
        loss.x.push_back(e.epoch);
        loss.y.push_back(e.loss);
      }
      Series base{"constant output (mean image)", {1.0, double(r.epochs.size())},
                  {r.mean_image_loss, r.mean_image_loss}};
      write_line_plot_png(path("loss_curve" + suffix + ".png"), {loss, base},
                          "DCAE reconstruction loss", "epoch", "MSE", true);
    }
  }
  if (opt.epochs == 0) control.checkpoint(state);
  if (writes) write_reconstructions(ae, member, input);
  return ae;
}

void Workbench::train_member(bool resume, const DcaeMember& member) {
  train_ae(resume, member);
  if (opt.method == Method::Hybrid) train_ae(resume, member, AeInput::GradientMagnitude);
}

TrainedDcae Workbench::load_ae(const DcaeMember& member, AeInput input, int size) const {
  return load_dcae(*be_, ae_file(member, input),
                   {opt.size, size, opt.batch, adam(ae_lr(input), 0.f)},
                   {"hep2 train-ae --out " + run_dir});
}

FeatureOptions Workbench::feature_options() const {
  return {opt.features, opt.stats_stage, opt.batch, opt.views};
}

DeviceFeatures Workbench::extract(const TrainedDcae& ae, const DeviceImages& images) {
  DeviceFeatures f = read_features(ae, images, feature_options(), progress_.fn());
  progress_.finish();
  times.extract_images_per_s = f.images_per_s;
  return f;
}

DeviceFeatures Workbench::method_features(const Reading& reading) {
  if (opt.method == Method::Supervised)
    fail("--method supervised has no DCAE features; use dcae or hybrid");
  DeviceFeatures f = extract(load_ae(reading.member, AeInput::Images, reading.size),
                             cells_->at(reading.size));
  if (opt.method == Method::Dcae) return f;
  DeviceFeatures g = extract(load_ae(reading.member, AeInput::GradientMagnitude),
                             cells_->gradient_magnitudes());
  DeviceFeatures both = side_by_side(*be_, f, g);
  times.extract_images_per_s = both.images_per_s;
  return both;
}

void Workbench::save_features(const DeviceFeatures& f, const Reading& reading) const {
  // The cells as they are (view 0, the first rows): the other views would multiply the file.
  std::vector<float> host(size_t(f.count) * f.dim);
  be_->download(host.data(), f.values.data(), host.size() * sizeof(float));
  npy::save(path("features" + reading.tag + ".npy"), host.data(), {size_t(f.count), size_t(f.dim)});
  if (!reading.first) return;
  const Dataset& d = data();
  npy::save(path("labels.npy"), d.labels.data(), {d.labels.size()});
  // The name of each label, so the classifier steps can name the classes without the data.
  write_file_atomic(path("classes.json"), nlohmann::json(class_names_).dump() + "\n");
  // The specimen (image) of each cell, so that the classifier steps hold out whole specimens for
  // early stopping and vote by specimen as `run` does.
  const bool grouped = std::any_of(d.groups.begin(), d.groups.end(),
                                   [](const std::string& g) { return !g.empty(); });
  std::error_code ec;
  if (grouped)
    write_file_atomic(path("groups.json"), nlohmann::json(d.groups).dump() + "\n");
  else
    fs::remove(path("groups.json"), ec);
  std::vector<int32_t> side(d.size(), 0);
  for (int i : split_.test) side[i] = 1;
  npy::save(path("split.npy"), side.data(), {side.size()});
}

Evaluation Workbench::run_method(bool save, dist::Communicator& team) {
  std::vector<int32_t> truth;
  for (int r : split_.test) truth.push_back(data().labels[r]);
  times.train_clf_seconds = 0;  // this run's classifiers, all DCAE members' together
  record.labelled_cells = labelled_.size();
  if (opt.method == Method::Supervised) {
    if (team.rank() != 0) return {};  // one model: rank 0's alone
    FittedClassifier clf = train_supervised(labelled_);
    std::vector<ProbabilityMean> probs(1);
    probs[0].add(predict_probabilities(clf.nets(), samples_of(cells_->images(), false, opt.views),
                                       split_.test));
    return evaluate(probs, split_.test, truth);
  }
  const std::vector<DcaeMember> members = dcae_members();
  // --data-parallel: every rank of the job trains each DCAE together, then each MLP classifier
  // (the least-squares classifier, exact and cheap, is solved by rank 0 alone); rank 0 writes
  // and evaluates.
  if (opt.data_parallel) {
    for (const DcaeMember& member : members) train_member(opt.resume, member);
    if (opt.classifier != ClassifierKind::Mlp) {
      if (dist::world().rank() != 0) return {};
    } else {
      // Every rank reads the DCAEs from rank 0's checkpoints in the run folder (as --resume
      // does): their last epoch is written once every rank is here.
      dist::world().barrier();
    }
  }
  // Otherwise each DCAE member is a unit of the team: dealt to its ranks, its tables gathered
  // on rank 0.
  // Each unit sends back its member's training record (a JSON line) and probability tables, so
  // that rank 0's metrics.json is the single process's.
  const std::vector<std::string> results = dist::run_units(
      opt.data_parallel ? dist::alone() : team, members.size(),
      [&](size_t k) { return "DCAE " + std::to_string(k + 1) + " (seed " + std::to_string(members[k].seed) + ")"; },
      [&](size_t k) {
        const DcaeMember& member = members[k];
        const size_t dcae_before = record.dcae.size(), clf_before = record.classifiers.size();
        if (!opt.data_parallel) train_member(opt.resume, member);
        ProbabilityMean member_probs;
        for (const Reading& reading : readings(member)) {
          DeviceFeatures f = method_features(reading);
          if (save && writes_run_files(opt)) save_features(f, reading);
          std::vector<int> unlabelled = unlabelled_subset(split_.train, labelled_, split_.test);
          const std::vector<int> path_rows = append_path_features(f, reading, split_.test);
          unlabelled.insert(unlabelled.end(), path_rows.begin(), path_rows.end());
          FittedClassifier clf = train_clf(f, cells_->images().labels, data().labels, labelled_,
                                           unlabelled, reading);
          member_probs.add(predict_probabilities(clf.nets(), samples_of(f), split_.test));
        }
        nlohmann::json mine = {{"dcae", nlohmann::json::array()}, {"classifiers", nlohmann::json::array()}};
        for (size_t i = opt.data_parallel ? 0 : dcae_before; i < record.dcae.size(); ++i)
          if (!opt.data_parallel || record.dcae[i].at("member") == member.index + 1)
            mine["dcae"].push_back(record.dcae[i]);
        for (size_t i = clf_before; i < record.classifiers.size(); ++i)
          mine["classifiers"].push_back(record.classifiers[i]);
        return mine.dump() + "\n" + dist::pack_tables(member_probs.tables());
      });
  if ((opt.data_parallel ? dist::world() : team).rank() != 0) return {};
  std::vector<ProbabilityMean> probs(members.size());
  record.dcae = nlohmann::json::array();
  record.classifiers = nlohmann::json::array();
  for (size_t k = 0; k < members.size(); ++k) {
    const size_t line = results[k].find('\n');
    HEP2_CHECK(line != std::string::npos, "unit ", k, " sent no training record");
    const nlohmann::json mine = nlohmann::json::parse(results[k].substr(0, line));
    for (const auto& d : mine.at("dcae")) record.dcae.push_back(d);
    for (const auto& c : mine.at("classifiers")) record.classifiers.push_back(c);
    for (std::vector<float>& t : dist::unpack_tables(results[k].substr(line + 1))) probs[k].add(std::move(t));
  }
  return evaluate(probs, split_.test, truth);
}

std::string Workbench::member_file(const std::string& stem, int member) const {
  return path(member == 0 ? stem + ".ckpt" : stem + "_" + std::to_string(member + 1) + ".ckpt");
}

void Workbench::remove_members_from(const std::string& stem, int first) const {
  std::error_code ec;
  for (int k = first; fs::exists(member_file(stem, k)); ++k) fs::remove(member_file(stem, k), ec);
}

MemberStart Workbench::announce_members(const std::string& describe) const {
  return [this, describe](int k, const HoldoutSplit& s) {
    progress_.finish();
    const std::string off = s.off.empty() ? "" : " (no early stopping: " + s.off + ")";
    if (opt.clf_ensemble > 1)
      std::fprintf(stderr, "%s, member %d of %d: %zu training, %zu validation cells%s\n",
                   describe.c_str(), k + 1, opt.clf_ensemble, s.fit.size(), s.val.size(), off.c_str());
    else
      std::fprintf(stderr, "%s: %zu training, %zu validation cells%s\n", describe.c_str(),
                   s.fit.size(), s.val.size(), off.c_str());
  };
}

ClassifierSettings Workbench::classifier_settings() const {
  ClassifierSettings s;
  s.kind = opt.classifier;
  s.scaling = resolve_scaling(opt.clf_scale, opt.method, opt.features);
  s.network.ensemble = opt.clf_ensemble;
  s.network.train.epochs = opt.clf_epochs;
  s.network.train.batch = opt.clf_batch;
  s.network.train.patience = opt.patience;
  s.network.train.balance = opt.clf_balance;
  s.network.optimizer = adam(opt.clf_lr, opt.weight_decay);
  s.network.init = opt.init;
  s.network.holdout = {opt.val_fraction, opt.holdout};
  s.least_squares.balance = opt.clf_balance;
  s.least_squares.ridge = opt.clf_ridge;
  s.self_training_rounds = opt.clf_self_train;
  s.network.replicate = classifier_replicas(opt);
  return s;
}

namespace {
// How a fitted network stopped, in words.
std::string stopping_of(const FittedMember& m, int max_epochs) {
  const int run = int(m.epochs.size());
  if (!m.cells.val.empty())
    return "early stopping on " + std::to_string(m.cells.val.size()) + " cells" +
           (m.cells.val_groups ? " (" + std::to_string(m.cells.val_groups) + " specimens)" : "") +
           ": best epoch " + std::to_string(m.best_epoch) + " of " + std::to_string(run) + " run (at most " +
           std::to_string(max_epochs) + ")";
  return "no early stopping (" + (m.cells.off.empty() ? std::string("no hold-out asked for") : m.cells.off) +
         "): " + std::to_string(run) + " epochs";
}

// The least squares' self-training, in words ("" when it did not self-train).
std::string self_training_of(const SelfTrainingReport& r) {
  if (r.rounds == 0 || r.unlabelled_rows == 0) return "";
  size_t pseudo = 0;
  for (size_t n : r.pseudo_per_class) pseudo += n;
  return "; self-trained over " + std::to_string(r.rounds) + " rounds on " +
         std::to_string(r.unlabelled_rows) + " unlabelled rows (" + std::to_string(pseudo) +
         " pseudo-labelled in the last)";
}

// The photometric copies among the training rows, in words ("" when there are none).
std::string copies_of(size_t copied_rows, const std::vector<std::string>& changes) {
  if (copied_rows == 0) return "";
  return " (" + std::to_string(copied_rows) + " of them photometric copies: " + joined(changes) + ")";
}
}  // namespace

void Workbench::record_classifier(const FittedClassifier& c, const std::string& stem) {
  for (size_t k = 0; k < c.members.size(); ++k) {
    const FittedMember& m = c.members[k];
    nlohmann::json entry = {
        {"file", member_file(stem, int(k)).substr(run_dir.size() + 1)},
        {"cells", m.cells.fit.size()},
        {"validation_cells", m.cells.val.size()},
        {"copied_rows", m.copied_rows},
        {"stopping", c.temperature > 0 ? "least squares, solved exactly, ridge " + format_number(c.ridge) +
                                             self_training_of(c.self_training)
                                       : stopping_of(m, opt.clf_epochs)}};
    // The end-to-end baseline reads images, not scaled features.
    if (!c.scaler.mean.empty()) entry["scaling"] = name_of(c.scaler.scaling);
    record.classifiers.push_back(std::move(entry));
  }
}

void Workbench::save_networks(const FittedClassifier& c, const std::string& stem,
                              const std::string& log,
                              const std::function<nlohmann::json(int, int)>& header) const {
  std::vector<std::vector<std::string>> rows;
  for (size_t k = 0; k < c.members.size(); ++k)
    for (const EpochStat& e : c.members[k].epochs)
      rows.push_back({std::to_string(k + 1), std::to_string(e.epoch), format_number(e.loss),
                      format_number(e.val_loss), format_number(e.val_acc),
                      format_number(e.seconds)});
  write_csv(path(log), {"member", "epoch", "loss", "val_loss", "val_accuracy", "seconds"}, rows);
  for (size_t k = 0; k < c.members.size(); ++k)
    save_trainer(member_file(stem, int(k)), *c.members[k].net,
                 header(int(k), c.members[k].best_epoch));
  remove_members_from(stem, int(c.members.size()));  // a larger earlier ensemble's leftovers
}

FittedClassifier Workbench::train_clf(DeviceFeatures& f, const Buffer<int32_t>& device_labels,
                                      const std::vector<int32_t>& labels,
                                      const std::vector<int>& train,
                                      const std::vector<int>& unlabelled, const Reading& reading) {
  const CopiedRows copies = append_copies(f, reading, train);
  const MlpConfig cfg = mlp_config(f.dim, int(class_names_.size()));
  const ClassifierSettings settings = classifier_settings();
  // --data-parallel: every rank trains the MLP, rank 0 speaks and writes.
  const bool writes = writes_run_files(opt);
  // Measured on I3A (docs/accuracy.md, "Small labelled sets"): on a few specimens the latent and
  // its MLP score far below the preset's reading, whatever the MLP's settings.
  constexpr size_t kFewLabelledCells = 2000;
  if (writes && !few_cells_noted_ && settings.kind == ClassifierKind::Mlp &&
      opt.features == FeatureKind::Latent && train.size() < kFewLabelledCells) {
    std::fprintf(stderr,
                 "note: the MLP on the latent learns from %zu labelled cells; below %zu, "
                 "--preset real scored far higher on other specimens (docs/accuracy.md, "
                 "\"Small labelled sets\")\n",
                 train.size(), kFewLabelledCells);
    few_cells_noted_ = true;
  }
  FittedClassifier clf = fit_feature_classifier(
      *be_, f, device_labels, CellLabels{labels, groups(), int(class_names_.size())}, train,
      unlabelled, copies, cfg,
      settings, reading.member.seed,
      writes ? announce_members(cfg.describe() +
                                (copies.size() ? ", also learning from photometric copies (" +
                                                     joined(opt.clf_augment) + ")"
                                               : ""))
             : MemberStart{},
      writes ? progress_.fn() : ProgressFn{});
  progress_.finish();
  times.train_clf_seconds += clf.seconds;
  const std::string stem = "mlp" + reading.tag;
  record_classifier(clf, stem);
  if (!writes) return clf;
  const std::string log = "clf_log" + reading.tag + ".csv";
  if (settings.kind == ClassifierKind::Linear) {
    std::fprintf(stderr,
                 "linear classifier %d-%d (least squares%s, ridge %g%s): %zu training rows%s%s; "
                 "probabilities calibrated with temperature %.3g\n",
                 cfg.inputs, cfg.classes, settings.least_squares.balance ? ", class-balanced" : "",
                 clf.ridge, settings.least_squares.ridge > 0 ? "" : " chosen by cross-validation",
                 clf.training_rows, copies_of(clf.members[0].copied_rows, opt.clf_augment).c_str(),
                 self_training_of(clf.self_training).c_str(), clf.temperature);
    nlohmann::json header = classifier_header(cfg, clf, f.views, 0, 0);
    header["temperature"] = clf.temperature;
    header["ridge"] = clf.ridge;
    save_trainer(member_file(stem, 0), *clf.members[0].net, header);
    // An earlier MLP ensemble's other members and epoch log would describe another classifier.
    remove_members_from(stem, 1);
    std::error_code ec;
    fs::remove(path(log), ec);
    return clf;
  }
  save_networks(clf, stem, log, [&](int k, int best_epoch) {
    return classifier_header(cfg, clf, f.views, k, best_epoch);
  });
  return clf;
}

nlohmann::json Workbench::classifier_header(const MlpConfig& cfg, const FittedClassifier& c,
                                            int views, int member, int best_epoch) const {
  return {{"kind", "mlp"},
          {"classifier", name_of(opt.classifier)},
          {"config", to_json(cfg)},
          {"class_names", class_names_},
          {"feature_mean", c.scaler.mean},
          {"feature_inv_std", c.scaler.inv_std},
          {"best_epoch", best_epoch},
          {"balance", opt.clf_balance},
          {"views", views},
          {"member", member + 1},
          {"ensemble", opt.clf_ensemble}};  // 1 for the linear classifier (validated)
}

FittedClassifier Workbench::train_supervised(const std::vector<int>& train) {
  DcaeConfig dc = dcae_config();
  MlpConfig mc = mlp_config(int(dc.feature_size()), int(class_names_.size()));
  const std::string what = "supervised baseline: DCAE encoder + " + mc.describe() + ", end to end";
  FittedClassifier clf = fit_network_ensemble(
      *be_, [&] { return build_supervised(dc, mc); },
      samples_of(cells_->images(), !opt.no_augment, opt.views), cells_->images().labels,
      CellLabels{data().labels, groups(), int(class_names_.size())}, train, CopiedRows{},
      classifier_settings().network, opt.seed, announce_members(what), progress_.fn());
  progress_.finish();
  times.train_clf_seconds += clf.seconds;
  record_classifier(clf, "supervised");
  save_networks(clf, "supervised", "clf_log.csv", [&](int k, int best_epoch) {
    return nlohmann::json{{"kind", "supervised"}, {"config", to_json(dc)},
                          {"class_names", class_names_}, {"best_epoch", best_epoch},
                          {"balance", opt.clf_balance}, {"member", k + 1},
                          {"ensemble", opt.clf_ensemble}};
  });
  return clf;
}

FittedClassifier Workbench::load_clf(int inputs, int classes, const Reading& reading) {
  const std::string stem = "mlp" + reading.tag;
  SavedClassifier saved = load_classifier(
      *be_, [&](int k) { return member_file(stem, k); },
      {inputs, classes, opt.clf_batch, adam(opt.clf_lr, 0.f)}, {"hep2 train-clf --out " + run_dir});
  if (!saved.class_names.empty()) class_names_ = std::move(saved.class_names);
  return std::move(saved.fitted);
}

std::vector<float> Workbench::reading_probabilities(DeviceFeatures& f, const Reading& reading,
                                                   const std::vector<int>& rows) {
  FittedClassifier clf = load_clf(f.dim, 0, reading);
  apply_feature_scaler(*be_, clf.scaler, f);
  return predict_probabilities(clf.nets(), samples_of(f), rows);
}

Evaluation Workbench::evaluate(const std::vector<ProbabilityMean>& members,
                               const std::vector<int>& rows, const std::vector<int32_t>& truth) {
  EnsembleLayout layout;
  layout.per_member = opt.method != Method::Supervised;
  if (layout.per_member) {
    for (const DcaeMember& m : dcae_members()) layout.member_seeds.push_back(m.seed);
    for (const Reading& r : readings(dcae_members().front())) layout.reading_sizes.push_back(r.size);
  }
  Evaluation e = evaluate_ensemble(members, layout, rows, truth, groups(), int(class_names_.size()));
  write_metrics(e, members);
  return e;
}

void Workbench::write_metrics(const Evaluation& e, const std::vector<ProbabilityMean>& members) const {
  nlohmann::json j = metrics_json(e.cells, class_names_);
  if (e.groups) j["groups"] = metrics_json(*e.groups, class_names_);
  j["method"] = name_of(opt.method);
  if (opt.method != Method::Supervised) j["dcae_ensemble"] = opt.dcae_ensemble;
  nlohmann::json each_member = nlohmann::json::array(), each_reading = nlohmann::json::array();
  for (const MemberFigures& m : e.members)
    each_member.push_back({{"member", m.member}, {"seed", m.seed},
                           {"accuracy", m.metrics.accuracy}, {"mca", m.metrics.mca}});
  for (const ReadingFigures& r : e.readings)
    each_reading.push_back({{"member", r.member}, {"seed", r.seed}, {"size", r.size},
                            {"accuracy", r.metrics.accuracy}, {"mca", r.metrics.mca}});
  if (!each_member.empty()) j["members"] = each_member;
  if (!each_reading.empty()) j["readings"] = each_reading;
  // The class probabilities that were scored, for analyses outside hep2 (other ensembles,
  // calibration, ROC curves), in metrics.json's member and reading order.
  const size_t readings_per_member = members.at(0).tables().size();
  std::vector<float> all;
  for (const ProbabilityMean& member : members) {
    HEP2_CHECK(member.tables().size() == readings_per_member, "DCAE members with ",
               member.tables().size(), " and ", readings_per_member, " readings");
    for (const std::vector<float>& t : member.tables()) all.insert(all.end(), t.begin(), t.end());
  }
  npy::save(path("test_probabilities.npy"), all.data(),
            {members.size(), readings_per_member, e.rows.size(), class_names_.size()});
  npy::save(path("test_labels.npy"), e.truth.data(), {e.truth.size()});
  const std::vector<int32_t> r(e.rows.begin(), e.rows.end());
  npy::save(path("test_rows.npy"), r.data(), {r.size()});
  if (!record.dcae.empty() || !record.classifiers.empty())
    j["training"] = {{"labelled_cells", record.labelled_cells},
                     {"unlabelled_cells", record.unlabelled_cells},
                     {"transductive", opt.transductive},
                     {"dcae", record.dcae},
                     {"classifiers", record.classifiers}};
  j["images_per_s"] = {{"train_ae", times.train_ae_images_per_s},
                       {"extract", times.extract_images_per_s}};
  j["train_clf_seconds"] = times.train_clf_seconds;
  j["test_cells"] = e.rows.size();
  j["backend"] = be_->name();
  j["peak_device_bytes"] = be_->peak_bytes();  // the whole run so far: data, models, workspaces
  write_file_atomic(path("metrics.json"), j.dump(2) + "\n");
  char title[160];
  std::snprintf(title, sizeof title, "test cells: accuracy %.1f%%, MCA %.1f%%",
                100 * e.cells.accuracy, 100 * e.cells.mca);
  write_confusion_png(path("confusion.png"), e.cells, class_names_, title);
}

void Workbench::write_reconstructions(const TrainedDcae& ae, const DcaeMember& member,
                                      AeInput input) const {
  int n = int(std::min<size_t>({split_.test.size(), size_t(16), size_t(ae.net->max_batch())}));
  if (n == 0) return;
  const Shape4& shape = data().shape;
  size_t per = shape.per_sample();
  std::vector<float> inputs(size_t(n) * per);
  const DeviceImages& src = ae_cells(input);
  Buffer<float> x(*be_, inputs.size()), s(*be_, inputs.size());
  for (int i = 0; i < n; ++i)
    be_->copy(x.data() + size_t(i) * per, src.images.data() + size_t(split_.test[i]) * per,
              per * sizeof(float));
  be_->download(inputs.data(), x.data(), x.bytes());
  const float* z = ae.net->forward(n, x.data(), false);
  be_->sigmoid_forward(inputs.size(), z, s.data());
  std::vector<float> recon(inputs.size());
  be_->download(recon.data(), s.data(), s.bytes());
  write_image_grid_png(path("recon_grid" + member.tag + suffix_of(input) + ".png"), inputs.data(),
                       recon.data(), n, shape.h, shape.w, 2);
}

}  // namespace hep2::app
