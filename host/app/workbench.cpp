// Workbench: data loading, the backend, and the steps of the method with their artefacts.
#include "workbench.h"

#include <algorithm>
#include <map>
#include <cmath>
#include <cstdio>
#include <atomic>
#include <chrono>
#include <filesystem>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/io/atomic_file.h"
#include "hep2/io/npy.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/checkpoint.h"
#include "hep2/pipeline/gradient_images.h"
#include "hep2/pipeline/least_squares.h"
#include "hep2/pipeline/texture_features.h"
#include "hep2/report/group_vote.h"
#include "hep2/pipeline/preprocess.h"
#include "hep2/pipeline/synth.h"
#include "hep2/report/confusion_png.h"
#include "hep2/report/csv.h"
#include "hep2/report/image_grid.h"
#include "hep2/report/line_plot.h"

namespace fs = std::filesystem;

namespace hep2::app {

std::unique_ptr<Backend> open_backend(const Options& opt) {
  const std::string& d = opt.device;
  if (d == "cpu") return make_cpu_backend(opt.threads);
  if (d == "auto") {
    if (cuda_device_count() > 0) return make_cuda_backend(0, opt.tf32);
    return make_cpu_backend(opt.threads);
  }
  if (d == "cuda") return make_cuda_backend(0, opt.tf32);
  if (d.rfind("cuda:", 0) == 0) {
    std::string n = d.substr(5);
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos)
      fail("--device ", d, ": expected cuda:N with N a device number");
    return make_cuda_backend(std::stoi(n), opt.tf32);
  }
  fail("--device ", d, ": use auto, cpu, cuda or cuda:N");
}

Workbench::Workbench(Options o, std::string dir) : opt(std::move(o)), run_dir(std::move(dir)) {
  opt.validate();
  be = open_backend(opt);
}

void Workbench::save_config() const {
  // The folder is made only once the data has loaded and the model is known to be buildable, so
  // a refused run leaves nothing behind.
  dcae_config();
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec)
    fail("cannot create the run folder ", run_dir, ": ", ec.message(), "; choose a writable --out folder");
  nlohmann::json j = opt.to_json();
  j["out"] = run_dir;
  j["backend"] = be->name();
  j["peak_device_bytes"] = be->peak_bytes();  // the whole run so far: data, models, workspaces
  j["version"] = HEP2_VERSION;
  write_file_atomic(path("config.json"), j.dump(2) + "\n");
}

DcaeConfig Workbench::dcae_config() const {
  DcaeConfig c;
  c.height = c.width = opt.size;
  c.channels = opt.channels;
  c.decoder = parse_decoder(opt.decoder);
  c.validate();
  return c;
}

std::vector<DcaeMember> Workbench::dcae_members() const {
  std::vector<DcaeMember> m;
  for (int k = 0; k < opt.dcae_ensemble; ++k)
    m.push_back({k, opt.seed + uint64_t(k), k == 0 ? std::string() : "_m" + std::to_string(k + 1)});
  return m;
}

std::vector<Reading> Workbench::readings(const DcaeMember& member) const {
  const std::vector<int> sizes = opt.stats_sizes.empty() ? std::vector<int>{opt.size} : opt.stats_sizes;
  std::vector<Reading> r;
  for (int s : sizes)
    r.push_back({member, s, member.tag + (s == opt.size ? "" : "_px" + std::to_string(s)),
                 member.index == 0 && r.empty()});
  return r;
}

std::vector<Reading> Workbench::readings() const {
  std::vector<Reading> all;
  for (const DcaeMember& m : dcae_members())
    for (Reading& r : readings(m)) all.push_back(std::move(r));
  return all;
}

void ProbabilityMean::add(std::vector<float> p) {
  HEP2_CHECK(tables_.empty() || p.size() == tables_[0].size(), "probability tables of ", p.size(),
             " and ", tables_[0].size(), " values");
  tables_.push_back(std::move(p));
}

std::vector<float> ProbabilityMean::mean() const {
  HEP2_CHECK(!tables_.empty(), "no probability table to average");
  std::vector<float> m(tables_[0].size(), 0.f);
  for (const auto& t : tables_)  // in member order: the same bits every time
    for (size_t i = 0; i < m.size(); ++i) m[i] += t[i];
  for (float& v : m) v /= float(tables_.size());
  return m;
}

std::vector<float> mean_of_members(const std::vector<ProbabilityMean>& members) {
  ProbabilityMean ensemble;
  for (const ProbabilityMean& m : members) ensemble.add(m.mean());
  return ensemble.mean();
}

MlpConfig Workbench::mlp_config(int inputs, int classes) const {
  MlpConfig c;
  c.inputs = inputs;
  c.classes = classes;
  c.dropout = float(opt.dropout);
  // One dense layer holds the least-squares scores; the supervised baseline keeps its MLP.
  if (opt.classifier == "linear" && opt.method != "supervised") c.hidden.clear();
  c.validate();
  return c;
}

PreprocessOptions Workbench::preprocess_options(int size) const {
  PreprocessOptions pp;
  pp.height = pp.width = size;
  pp.use_mask = !opt.no_mask;
  pp.norm = parse_normalization(opt.norm);
  pp.channel = parse_channel(opt.channel);
  return pp;
}

void Workbench::load_data() {
  if (opt.data.empty()) {
    // Rendered at --size whatever the preprocessing size, so every size sees the same cells.
    SynthOptions so;
    so.count = opt.synth_count;
    so.size = opt.size;
    so.seed = opt.seed;
    cell_source = [so](const PreprocessOptions& pp) { return synthesize(so, pp); };
  } else {
    CellList list = open_cell_list(opt.data);
    if (!opt.classes.empty()) list = keep_classes(list, opt.classes);
    cell_source = [this, list](const PreprocessOptions& pp) {
      std::fprintf(stderr, "loading %zu cells from %s at %dx%d\n", list.cells.size(),
                   opt.data.c_str(), pp.width, pp.height);
      auto t0 = std::chrono::steady_clock::now();
      Dataset d = load_dataset(list, pp, [this, t0](size_t done, size_t total) {
        double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        double ips = double(done) / std::max(el, 1e-9);
        progress(TrainProgress{"load", 1, 1, done, total, std::nan(""), ips,
                               double(total - done) / std::max(ips, 1e-9)});
      });
      progress.finish();
      return d;
    };
  }
  data = cell_source(preprocess_options(opt.size));
  class_names = data.class_names;
  split = split_dataset(data, opt.test_fraction, opt.seed);
  if (split.train.empty() || split.test.empty())
    fail("the split of ", data.size(), " cells left ", split.train.size(), " for training and ",
         split.test.size(), " for testing; both need cells (check the split column or --test-fraction)");
}

void Workbench::upload_data() {
  device_data = std::make_unique<DeviceImages>(
      upload_images(*be, data.shape, data.images, data.labels));
}

const DeviceImages& Workbench::cells_at(int size) {
  if (size == opt.size) return *device_data;
  auto& d = sized_data_[size];
  if (!d) {
    HEP2_CHECK(cell_source, "no cells to read at ", size, "x", size);
    Dataset s = cell_source(preprocess_options(size));
    HEP2_CHECK(s.size() == data.size() && s.labels == data.labels, "the cells at ", size, "x",
               size, " are not those at ", opt.size, "x", opt.size);
    d = std::make_unique<DeviceImages>(upload_images(*be, s.shape, s.images, s.labels));
  }
  return *d;
}

namespace {

nlohmann::json dcae_json(const DcaeConfig& c) {
  return {{"height", c.height}, {"width", c.width}, {"in_channels", c.in_channels},
          {"channels", c.channels}, {"decoder", decoder_name(c.decoder)}};
}

OptimizerConfig adam(double lr, double wd) {
  OptimizerConfig o;
  o.lr = float(lr);
  o.weight_decay = float(wd);
  return o;
}

void save_trainer(const std::string& file, Trainer& t, nlohmann::json header) {
  header["optimizer_steps"] = t.optimizer().steps();
  header["param_count"] = t.block().count();
  save_checkpoint(file, Checkpoint{std::move(header), t.block().get_all(t.backend())});
}

void restore_trainer(const std::string& file, Trainer& t, const Checkpoint& c) {
  if (c.values.size() != 4 * t.block().count())
    fail(file, ": holds ", c.values.size() / 4, " parameters but the model needs ",
         t.block().count(), "; it was written for another architecture");
  t.block().set_all(t.backend(), c.values);
  t.optimizer().set_steps(c.header.value("optimizer_steps", 0L));
}

InitScheme init_scheme(const std::string& s) { return s == "he" ? InitScheme::He : InitScheme::Torch; }

}  // namespace

namespace {

nlohmann::json state_json(const AeTrainState& s) {
  nlohmann::json h = nlohmann::json::array();
  for (const EpochStat& e : s.history)
    h.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"seconds", e.seconds},
                 {"images_per_s", e.images_per_s}});
  return {{"epoch", s.epoch}, {"step", s.step}, {"rng_state", s.rng_state},
          {"rng_inc", s.rng_inc}, {"epoch_losses", s.epoch_losses}, {"history", h}};
}

AeTrainState state_from_json(const nlohmann::json& j) {
  AeTrainState s;
  s.epoch = j.at("epoch");
  s.step = j.at("step");
  s.rng_state = j.at("rng_state");
  s.rng_inc = j.at("rng_inc");
  s.epoch_losses = j.at("epoch_losses").get<std::vector<float>>();
  for (const auto& e : j.at("history")) {
    EpochStat st;
    st.epoch = e.at("epoch");
    st.loss = e.at("loss");
    st.seconds = e.at("seconds");
    st.images_per_s = e.at("images_per_s");
    s.history.push_back(st);
  }
  return s;
}

// The last kCheckpointsKept checkpoints stay: name, name.1, name.2 (oldest).
constexpr int kCheckpointsKept = 3;
void rotate_checkpoints(const std::string& file) {
  std::error_code ec;
  for (int i = kCheckpointsKept - 1; i >= 1; --i) {
    std::string from = i == 1 ? file : file + "." + std::to_string(i - 1);
    if (fs::exists(from)) fs::rename(from, file + "." + std::to_string(i), ec);
  }
}

}  // namespace

std::atomic<bool> g_stop_requested{false};

double Workbench::ae_lr(const std::string& kind) const {
  return kind == "_grad" && opt.grad_lr > 0 ? opt.grad_lr : opt.lr;
}

DeviceImages& Workbench::ae_input(const std::string& kind) {
  if (kind.empty()) return *device_data;
  if (!grad_data) {
    std::vector<float> g = gradient_magnitude_images(data.shape, data.images);
    grad_data = std::make_unique<DeviceImages>(upload_images(*be, data.shape, g, data.labels));
  }
  return *grad_data;
}

std::unique_ptr<Trainer> Workbench::train_ae(bool resume, const DcaeMember& member,
                                             const std::string& kind) {
  const std::string suffix = member.tag + kind;
  DcaeConfig cfg = dcae_config();
  Dcae m = build_dcae(cfg);
  latent_end_ = m.latent_end;
  auto ae = std::make_unique<Trainer>(*be, std::move(m.net), opt.batch, adam(ae_lr(kind), 0.f));
  AeTrainState state;
  const std::string file = path("dcae" + suffix + ".ckpt");
  if (resume && fs::exists(file)) {
    Checkpoint c = load_checkpoint(file);
    if (c.header.value("kind", "") != "dcae" || c.header.value("config", nlohmann::json()) != dcae_json(cfg))
      fail(file, ": was written for another model than config.json describes; cannot resume");
    restore_trainer(file, *ae, c);
    try {
      state = state_from_json(c.header.at("train_state"));
    } catch (const nlohmann::json::exception& e) {
      fail(file, ": the checkpoint's training state is not what hep2 writes (", e.what(),
           "); start again without --resume");
    }
    if (state.finished(opt.epochs))
      std::fprintf(stderr, "%s: trained (%d epochs)\n", file.c_str(), opt.epochs);
    else
      std::fprintf(stderr, "%s: resuming at epoch %d, step %zu\n", file.c_str(), state.epoch,
                   state.step);
  } else {
    ae->init(init_scheme(opt.init), member.seed);
  }
  AeTrainOptions to;
  to.epochs = opt.epochs;
  to.batch = opt.batch;
  to.augment = !opt.no_augment;
  to.noise = float(opt.ae_noise);
  to.warmup_epochs = opt.lr_warmup;
  to.objective = opt.ae_loss == "bce" ? AeObjective::CrossEntropy : AeObjective::Mse;
  to.seed = member.seed;
  TrainControl control;
  control.stop = &g_stop_requested;
  control.stop_after_steps = opt.stop_after_steps;
  control.checkpoint = [&](const AeTrainState& s) {
    rotate_checkpoints(file);
    save_trainer(file, *ae,
                 {{"kind", "dcae"}, {"config", dcae_json(cfg)}, {"train_state", state_json(s)}});
    std::vector<std::vector<std::string>> rows;
    for (const EpochStat& e : s.history)
      rows.push_back({std::to_string(e.epoch), format_number(e.loss), format_number(e.seconds),
                      format_number(e.images_per_s)});
    write_csv(path("ae" + suffix + "_log.csv"), {"epoch", "loss", "seconds", "images_per_s"},
              rows);
  };
  if (!state.finished(opt.epochs)) {
    std::string which;
    if (opt.dcae_ensemble > 1)
      which = " (DCAE " + std::to_string(member.index + 1) + " of " +
              std::to_string(opt.dcae_ensemble) + ", seed " + std::to_string(member.seed) + ")";
    std::fprintf(stderr, "%s%s%s on %s: %zu training cells, %d epochs\n", cfg.describe().c_str(),
                 kind.empty() ? "" : " (gradient-magnitude images)", which.c_str(),
                 be->name().c_str(), split.train.size(), opt.epochs);
    AeTrainResult r =
        train_autoencoder(*ae, ae_input(kind), split.train, to, state, control, progress.fn());
    progress.finish();
    times.train_ae_images_per_s = r.images_per_s;
    if (r.stopped)
      throw Stopped(g_stop_requested ? 130 : 0,
                    "stopped at epoch " + std::to_string(state.epoch) + ", step " +
                        std::to_string(state.step) + "; checkpoint " + file +
                        "; continue with: hep2 " + command + " --resume --out " + run_dir);
    if (!r.epochs.empty()) {
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
  write_reconstructions(*ae, member.tag, kind);
  return ae;
}

void Workbench::train_member(bool resume, const DcaeMember& member) {
  train_ae(resume, member);
  if (opt.method == "hybrid") train_ae(resume, member, "_grad");
}

std::unique_ptr<Trainer> Workbench::load_ae(const DcaeMember& member, const std::string& kind,
                                            int size) try {
  std::string file = path("dcae" + member.tag + kind + ".ckpt");
  if (!fs::exists(file)) fail(file, " does not exist: run `hep2 train-ae --out ", run_dir, "` first");
  Checkpoint c = load_checkpoint(file);
  if (c.header.value("kind", "") != "dcae")
    fail(file, ": not a DCAE checkpoint (kind '", c.header.value("kind", ""), "'); point --out at a run ",
         "folder made by `hep2 train-ae`, or retrain");
  DcaeConfig cfg;
  const auto& j = c.header.at("config");
  cfg.height = j.at("height");
  cfg.width = j.at("width");
  cfg.in_channels = j.at("in_channels");
  cfg.channels = j.at("channels").get<std::vector<int>>();
  cfg.decoder = parse_decoder(j.at("decoder"));
  if (cfg.height != opt.size)
    fail(file, ": the model takes ", cfg.height, "x", cfg.width, " inputs but --size is ", opt.size);
  // Convolutions and pooling have the same parameters at every input size: the trained network,
  // rebuilt for another size, reads the cells at that size.
  if (size > 0) cfg.height = cfg.width = size;
  cfg.validate();
  Dcae m = build_dcae(cfg);
  latent_end_ = m.latent_end;
  auto ae = std::make_unique<Trainer>(*be, std::move(m.net), opt.batch, adam(ae_lr(kind), 0.f));
  restore_trainer(file, *ae, c);
  return ae;
} catch (const nlohmann::json::exception& e) {
  fail(path("dcae" + member.tag + kind + ".ckpt"), ": the checkpoint's header is not what hep2 writes (", e.what(),
       "); retrain with `hep2 train-ae` / `hep2 train-clf`");
}

DeviceFeatures Workbench::extract(Trainer& ae, const DeviceImages& images) {
  DeviceFeatures f =
      opt.features == "stats"
          ? extract_texture_features(ae, encoder_stage_end(dcae_config(), opt.stats_stage), images,
                                     opt.batch, progress.fn())
          : extract_features(ae, latent_end_, images, opt.batch, opt.views, progress.fn());
  progress.finish();
  times.extract_images_per_s = f.images_per_s;
  return f;
}

namespace {
// Rows of a and b side by side: rows x (da + db).
DeviceFeatures concat_features(Backend& be, const DeviceFeatures& a, const DeviceFeatures& b) {
  HEP2_CHECK(a.count == b.count && a.views == b.views, "feature sets of ", a.count, "x", a.views,
             " and ", b.count, "x", b.views, " rows");
  DeviceFeatures c;
  c.count = a.count;
  c.views = a.views;
  c.dim = a.dim + b.dim;
  c.values = Buffer<float>(be, c.rows() * c.dim);
  const size_t f = sizeof(float);
  be.copy_rows(c.values.data(), c.dim * f, a.values.data(), a.dim * f, a.dim * f, c.rows());
  be.copy_rows(c.values.data() + a.dim, c.dim * f, b.values.data(), b.dim * f, b.dim * f, c.rows());
  c.seconds = a.seconds + b.seconds;
  c.images_per_s = double(c.count) / std::max(c.seconds, 1e-9);
  return c;
}
}  // namespace

DeviceFeatures Workbench::method_features(const Reading& reading) {
  if (opt.method != "dcae" && opt.method != "hybrid")
    fail("--method ", opt.method, " has no DCAE features; use dcae or hybrid");
  auto ae = load_ae(reading.member, "", reading.size);
  DeviceFeatures f = extract(*ae, cells_at(reading.size));
  if (opt.method == "dcae") return f;
  ae.reset();
  auto ae_grad = load_ae(reading.member, "_grad");
  DeviceFeatures g = extract(*ae_grad, ae_input("_grad"));
  DeviceFeatures both = concat_features(*be, f, g);
  times.extract_images_per_s = both.images_per_s;
  return both;
}

void Workbench::save_features(const DeviceFeatures& f, const Reading& reading) {
  // The cells as they are (view 0, the first rows): the other views would multiply the file.
  std::vector<float> host(size_t(f.count) * f.dim);
  be->download(host.data(), f.values.data(), host.size() * sizeof(float));
  npy::save(path("features" + reading.tag + ".npy"), host.data(), {size_t(f.count), size_t(f.dim)});
  if (!reading.first) return;
  npy::save(path("labels.npy"), data.labels.data(), {data.labels.size()});
  // The name of each label, so the classifier steps can name the classes without the data.
  write_file_atomic(path("classes.json"), nlohmann::json(class_names).dump() + "\n");
  // The specimen (image) of each cell, so that the classifier steps hold out whole specimens for
  // early stopping and vote by specimen as `run` does.
  const bool grouped = std::any_of(data.groups.begin(), data.groups.end(),
                                   [](const std::string& g) { return !g.empty(); });
  std::error_code ec;
  if (grouped)
    write_file_atomic(path("groups.json"), nlohmann::json(data.groups).dump() + "\n");
  else
    fs::remove(path("groups.json"), ec);
  std::vector<int32_t> side(data.size(), 0);
  for (int i : split.test) side[i] = 1;
  npy::save(path("split.npy"), side.data(), {side.size()});
}

Metrics Workbench::run_method(bool save) {
  std::vector<int32_t> truth;
  for (int r : split.test) truth.push_back(data.labels[r]);
  times.train_clf_seconds = 0;  // this run's classifiers, all DCAE members' together
  if (opt.method == "supervised") {
    Classifier clf = train_supervised(split.train);
    std::vector<ProbabilityMean> probs(1);
    probs[0].add(predict_probabilities(members_of(clf), samples_of(*device_data, false, opt.views),
                                       split.test));
    return evaluate(probs, split.test, truth);
  }
  std::vector<ProbabilityMean> probs;
  for (const DcaeMember& member : dcae_members()) {
    train_member(opt.resume, member);
    ProbabilityMean& member_probs = probs.emplace_back();
    for (const Reading& reading : readings(member)) {
      DeviceFeatures f = method_features(reading);
      if (save) save_features(f, reading);
      Classifier mlp = train_clf(f, device_data->labels, split.train, reading);
      member_probs.add(predict_probabilities(members_of(mlp), samples_of(f), split.test));
    }
  }
  return evaluate(probs, split.test, truth);
}

// Early stopping looks at a slice of the training cells, never at the test cells. The slice should
// be as foreign to the classifier as the test cells are: cells of a specimen it trains on are
// easy, so a random slice keeps improving long after the test cells stop (measured on I3A, see
// docs/accuracy.md). "specimen" holds out whole groups when the data names them; otherwise the
// last cells of each class in the data's order, since datasets store a specimen's cells together
// (consecutive file numbers). "random" is a seeded stratified slice.
void Workbench::hold_out_validation(const std::vector<int>& train, std::vector<int>& fit,
                                    std::vector<int>& val, int member, uint64_t seed) const {
  fit.clear();
  val.clear();
  if (opt.val_fraction <= 0) {
    fit = train;
    return;
  }
  Rng rng(seed + uint64_t(member) * 1000, 0x5a1);
  bool grouped = opt.holdout == "specimen" && !train.empty();
  for (int i : train)
    grouped = grouped && size_t(i) < data.groups.size() && !data.groups[i].empty();
  if (grouped) {
    std::map<std::string, std::vector<int>> cells_of;
    for (int i : train) cells_of[data.groups[i]].push_back(i);
    std::vector<const std::vector<int>*> groups;
    for (const auto& [name, cells] : cells_of) groups.push_back(&cells);
    for (size_t i = groups.size(); i > 1; --i) std::swap(groups[i - 1], groups[rng.below(uint32_t(i))]);
    const size_t want = size_t(std::floor(opt.val_fraction * double(train.size())));
    for (const auto* g : groups) {  // whole groups until the slice is big enough
      auto& side = val.size() < want || val.empty() ? val : fit;
      side.insert(side.end(), g->begin(), g->end());
    }
    if (fit.empty()) std::swap(fit, val);  // a single group: no hold-out possible
  } else {
    std::vector<std::vector<int>> by_class(class_names.size());
    for (int i : train) by_class[data.labels[i]].push_back(i);
    for (auto& v : by_class) {
      if (opt.holdout == "random")
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(uint32_t(i))]);
      const size_t nv = size_t(std::floor(opt.val_fraction * double(v.size())));
      // "specimen" without groups: a block of consecutive cells from the end of the class in data
      // order; ensemble member k takes the k-th block (wrapping round when they run out).
      const size_t blocks = nv ? std::max<size_t>(1, v.size() / nv) : 1;
      const size_t end = v.size() - (size_t(member) % blocks) * nv, begin = end - nv;
      for (size_t i = 0; i < v.size(); ++i) (i >= begin && i < end ? val : fit).push_back(v[i]);
    }
  }
  std::sort(fit.begin(), fit.end());
  std::sort(val.begin(), val.end());
}

std::string Workbench::member_file(const std::string& stem, int member) const {
  return path(member == 0 ? stem + ".ckpt" : stem + "_" + std::to_string(member + 1) + ".ckpt");
}

void Workbench::remove_members_from(const std::string& stem, int first) const {
  std::error_code ec;
  for (int k = first; fs::exists(member_file(stem, k)); ++k) fs::remove(member_file(stem, k), ec);
}

Classifier Workbench::fit_classifier(const std::function<Network()>& make,
                                     const std::string& describe, const SampleSet& x,
                                     const Buffer<int32_t>& labels, const std::vector<int>& train,
                                     uint64_t base_seed, const std::string& stem,
                                     const std::string& log,
                                     const std::function<nlohmann::json(int, int)>& header) {
  Classifier members;
  std::vector<std::vector<std::string>> rows;
  for (int k = 0; k < opt.clf_ensemble; ++k) {
    // Members differ in initialisation, data order, dropout and early-stopping slice.
    const uint64_t seed = base_seed + uint64_t(k) * 1000;
    auto clf = std::make_unique<Trainer>(*be, make(), opt.clf_batch,
                                         adam(opt.clf_lr, opt.weight_decay));
    clf->init(init_scheme(opt.init), seed + 1);
    std::vector<int> fit, val;
    hold_out_validation(train, fit, val, k, base_seed);
    ClfTrainOptions to;
    to.epochs = opt.clf_epochs;
    to.batch = opt.clf_batch;
    to.seed = seed;
    to.patience = opt.patience;
    to.balance = opt.clf_balance;
    if (opt.clf_ensemble > 1)
      std::fprintf(stderr, "%s, member %d of %d: %zu training, %zu validation cells\n",
                   describe.c_str(), k + 1, opt.clf_ensemble, fit.size(), val.size());
    else
      std::fprintf(stderr, "%s: %zu training, %zu validation cells\n", describe.c_str(), fit.size(),
                   val.size());
    ClfTrainResult r = train_classifier(*clf, x, labels, fit, val, to, progress.fn());
    progress.finish();
    times.train_clf_seconds += r.seconds;
    for (const EpochStat& e : r.epochs)
      rows.push_back({std::to_string(k + 1), std::to_string(e.epoch), format_number(e.loss),
                      format_number(e.val_loss), format_number(e.val_acc),
                      format_number(e.seconds)});
    write_csv(path(log),
              {"member", "epoch", "loss", "val_loss", "val_accuracy", "seconds"}, rows);
    save_trainer(member_file(stem, k), *clf, header(k, r.best_epoch));
    members.push_back(std::move(clf));
  }
  remove_members_from(stem, opt.clf_ensemble);  // a larger earlier ensemble's leftovers
  return members;
}

Classifier Workbench::train_clf(DeviceFeatures& f, const Buffer<int32_t>& labels,
                                const std::vector<int>& train, const Reading& reading) {
  MlpConfig cfg = mlp_config(f.dim, int(class_names.size()));
  scaler = fit_feature_scaler(*be, f, train);
  standardize(f);
  if (opt.classifier == "linear") return train_linear(f, labels, train, cfg, reading);
  return fit_classifier([&] { return build_mlp(cfg); }, cfg.describe(), samples_of(f), labels,
                        train, reading.member.seed, "mlp" + reading.tag,
                        "clf_log" + reading.tag + ".csv",
                        [&](int k, int best_epoch) {
                          return classifier_header(cfg, f.views, k, best_epoch);
                        });
}

// The least-squares classifier has one exact solution: no epochs, no early-stopping slice, no
// ensemble. Its normal equations are (features + 1) square and solved on the host in double; the
// standardised feature rows come down once and the solver reads the training rows in place.
Classifier Workbench::train_linear(const DeviceFeatures& f, const Buffer<int32_t>& labels,
                                   const std::vector<int>& train, const MlpConfig& cfg,
                                   const Reading& reading) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<float> all = download_features(*be, f);
  std::vector<int32_t> all_labels(labels.size());
  be->download(all_labels.data(), labels.data(), labels.bytes());
  std::vector<size_t> rows;
  std::vector<int32_t> y;
  rows.reserve(size_t(f.views) * train.size());
  for (int v = 0; v < f.views; ++v)
    for (int i : train) {
      rows.push_back(size_t(v) * size_t(f.count) + size_t(i));
      y.push_back(all_labels[size_t(i)]);
    }
  LeastSquaresOptions lo;
  lo.balance = opt.clf_balance;
  lo.ridge = opt.clf_ridge;
  LinearWeights w = fit_least_squares(all.data(), f.dim, rows, y.data(), cfg.classes, lo);
  std::fprintf(stderr,
               "linear classifier %d-%d (least squares%s, ridge %g): %zu training rows; "
               "probabilities calibrated with temperature %.3g\n",
               cfg.inputs, cfg.classes, lo.balance ? ", class-balanced" : "", lo.ridge, y.size(),
               w.temperature);
  auto clf = std::make_unique<Trainer>(*be, build_mlp(cfg), opt.clf_batch, adam(opt.clf_lr, 0.f));
  std::vector<float> params = w.weight;
  params.insert(params.end(), w.bias.begin(), w.bias.end());
  clf->block().set_params(*be, params);
  times.train_clf_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json header = classifier_header(cfg, f.views, 0, 0);
  header["temperature"] = w.temperature;
  const std::string stem = "mlp" + reading.tag;
  save_trainer(member_file(stem, 0), *clf, header);
  // An earlier MLP ensemble's other members and epoch log would describe another classifier.
  remove_members_from(stem, 1);
  std::error_code ec;
  fs::remove(path("clf_log" + reading.tag + ".csv"), ec);
  Classifier members;
  members.push_back(std::move(clf));
  return members;
}

nlohmann::json Workbench::classifier_header(const MlpConfig& cfg, int views, int member,
                                            int best_epoch) const {
  return {{"kind", "mlp"},
          {"classifier", opt.classifier},
          {"config", {{"inputs", cfg.inputs}, {"hidden", cfg.hidden},
                      {"classes", cfg.classes}, {"dropout", cfg.dropout}}},
          {"class_names", class_names},
          {"feature_mean", scaler.mean},
          {"feature_inv_std", scaler.inv_std},
          {"best_epoch", best_epoch},
          {"balance", opt.clf_balance},
          {"views", views},
          {"member", member + 1},
          {"ensemble", opt.clf_ensemble}};  // 1 for the linear classifier (validated)
}

Classifier Workbench::train_supervised(const std::vector<int>& train) {
  DcaeConfig dc = dcae_config();
  MlpConfig mc = mlp_config(int(dc.feature_size()), int(class_names.size()));
  std::string what = "supervised baseline: DCAE encoder + " + mc.describe() + ", end to end";
  return fit_classifier(
      [&] { return build_supervised(dc, mc); }, what,
      samples_of(*device_data, !opt.no_augment, opt.views), device_data->labels, train, opt.seed,
      "supervised", "clf_log.csv", [&](int k, int best_epoch) {
        return nlohmann::json{{"kind", "supervised"}, {"config", dcae_json(dc)},
                              {"class_names", class_names}, {"best_epoch", best_epoch},
                              {"balance", opt.clf_balance}, {"member", k + 1},
                              {"ensemble", opt.clf_ensemble}};
      });
}

Classifier Workbench::load_clf(int inputs, int classes, const Reading& reading) {
  const std::string stem = "mlp" + reading.tag;
  Classifier members;
  int count = 1;
  for (int k = 0; k < count; ++k) {
    const std::string file = member_file(stem, k);
    try {
      if (!fs::exists(file))
        fail(file, " does not exist: run `hep2 train-clf --out ", run_dir, "` first");
      Checkpoint c = load_checkpoint(file);
      if (c.header.value("kind", "") != "mlp")
        fail(file, ": not a classifier checkpoint (kind '", c.header.value("kind", ""),
             "'); retrain it with `hep2 train-clf --out ", run_dir, "`");
      if (k == 0) count = std::max(1, c.header.value("ensemble", 1));
      MlpConfig cfg;
      const auto& j = c.header.at("config");
      cfg.inputs = j.at("inputs");
      cfg.hidden = j.at("hidden").get<std::vector<int>>();
      cfg.classes = j.at("classes");
      cfg.dropout = j.at("dropout");
      if (inputs > 0 && cfg.inputs != inputs)
        fail(file, ": the classifier takes ", cfg.inputs, " features but the features have ",
             inputs, " per cell; extract them with the same DCAE");
      if (classes > 0 && cfg.classes != classes)
        fail(file, ": the classifier has ", cfg.classes, " classes but the data has ", classes);
      // Every member standardises the same way: the scaler is fitted once on the training cells.
      FeatureScaler s{c.header.at("feature_mean").get<std::vector<float>>(),
                      c.header.at("feature_inv_std").get<std::vector<float>>()};
      if (k == 0) {
        class_names = c.header.value("class_names", class_names);
        scaler = std::move(s);
        inputs = cfg.inputs;
        classes = cfg.classes;
      } else if (s.mean != scaler.mean || s.inv_std != scaler.inv_std) {
        fail(file, " belongs to another training than ", member_file(stem, 0),
             " (its feature scaling differs); retrain with `hep2 train-clf --out ", run_dir, "`");
      }
      auto mlp = std::make_unique<Trainer>(*be, build_mlp(cfg), opt.clf_batch, adam(opt.clf_lr, 0.f));
      restore_trainer(file, *mlp, c);
      members.push_back(std::move(mlp));
    } catch (const nlohmann::json::exception& e) {
      fail(file, ": the checkpoint's header is not what hep2 writes (", e.what(),
           "); retrain with `hep2 train-ae` / `hep2 train-clf`");
    }
  }
  return members;
}

std::vector<Trainer*> members_of(const Classifier& c) {
  std::vector<Trainer*> m;
  for (const auto& t : c) m.push_back(t.get());
  return m;
}

std::vector<float> Workbench::reading_probabilities(DeviceFeatures& f, const Reading& reading,
                                                   const std::vector<int>& rows) {
  Classifier clf = load_clf(f.dim, 0, reading);
  standardize(f);
  return predict_probabilities(members_of(clf), samples_of(f), rows);
}

void Workbench::save_test_probabilities(const std::vector<ProbabilityMean>& ensemble,
                                        const std::vector<int>& rows,
                                        const std::vector<int32_t>& truth) const {
  const size_t readings_per_member = ensemble.at(0).tables().size();
  std::vector<float> all;
  for (const ProbabilityMean& member : ensemble) {
    HEP2_CHECK(member.tables().size() == readings_per_member, "DCAE members with ",
               member.tables().size(), " and ", readings_per_member, " readings");
    for (const std::vector<float>& t : member.tables()) all.insert(all.end(), t.begin(), t.end());
  }
  npy::save(path("test_probabilities.npy"), all.data(),
            {ensemble.size(), readings_per_member, rows.size(), class_names.size()});
  npy::save(path("test_labels.npy"), truth.data(), {truth.size()});
  const std::vector<int32_t> r(rows.begin(), rows.end());
  npy::save(path("test_rows.npy"), r.data(), {r.size()});
}

Metrics Workbench::evaluate(const std::vector<ProbabilityMean>& ensemble,
                            const std::vector<int>& rows, const std::vector<int32_t>& truth) {
  const int classes = int(class_names.size());
  const std::vector<float> probs = mean_of_members(ensemble);
  std::vector<int32_t> pred = argmax_rows(probs, classes);
  Metrics m = compute_metrics(truth, pred, classes);
  nlohmann::json j = metrics_json(m, class_names);
  group_metrics.reset();
  std::vector<std::string> groups;
  for (int r : rows)
    if (size_t(r) < data.groups.size() && !data.groups[r].empty()) groups.push_back(data.groups[r]);
  if (groups.size() == rows.size() && !rows.empty()) {
    // The pattern of a specimen (image) is the majority of its cells' predictions.
    GroupVote v = vote_by_group(groups, truth, pred, probs, classes);
    group_metrics = compute_metrics(v.truth, v.predicted, classes);
    j["groups"] = metrics_json(*group_metrics, class_names);
  }
  j["method"] = opt.method;
  if (opt.method != "supervised") j["dcae_ensemble"] = opt.dcae_ensemble;
  member_metrics.clear();
  reading_metrics.clear();
  if (opt.method != "supervised") {
    // What each DCAE alone, and each of its readings alone, scores beside the ensemble: the gain
    // of averaging is then visible in every run.
    const std::vector<DcaeMember> dm = dcae_members();
    HEP2_CHECK(ensemble.size() == dm.size(), ensemble.size(), " probability sets for ", dm.size(),
               " DCAE members");
    nlohmann::json members = nlohmann::json::array(), each_reading = nlohmann::json::array();
    for (size_t k = 0; k < dm.size(); ++k) {
      const std::vector<Reading> rd = readings(dm[k]);
      const std::vector<std::vector<float>>& tables = ensemble[k].tables();
      HEP2_CHECK(tables.size() == rd.size(), tables.size(), " probability tables for ", rd.size(),
                 " readings of DCAE member ", k + 1);
      if (dm.size() > 1) {
        Metrics mk = compute_metrics(truth, argmax_rows(ensemble[k].mean(), classes), classes);
        members.push_back({{"member", k + 1}, {"seed", dm[k].seed}, {"accuracy", mk.accuracy},
                           {"mca", mk.mca}});
        member_metrics.push_back({dm[k].seed, std::move(mk)});
      }
      if (rd.size() > 1)
        for (size_t r = 0; r < rd.size(); ++r) {
          Metrics mr = compute_metrics(truth, argmax_rows(tables[r], classes), classes);
          each_reading.push_back({{"member", k + 1}, {"seed", dm[k].seed}, {"size", rd[r].size},
                                  {"accuracy", mr.accuracy}, {"mca", mr.mca}});
          reading_metrics.push_back({int(k + 1), dm[k].seed, rd[r].size, std::move(mr)});
        }
    }
    if (!members.empty()) j["members"] = members;
    if (!each_reading.empty()) j["readings"] = each_reading;
  }
  save_test_probabilities(ensemble, rows, truth);
  j["images_per_s"] = {{"train_ae", times.train_ae_images_per_s},
                       {"extract", times.extract_images_per_s}};
  j["train_clf_seconds"] = times.train_clf_seconds;
  j["test_cells"] = rows.size();
  j["backend"] = be->name();
  j["peak_device_bytes"] = be->peak_bytes();  // the whole run so far: data, models, workspaces
  write_file_atomic(path("metrics.json"), j.dump(2) + "\n");
  char title[160];
  std::snprintf(title, sizeof title, "test cells: accuracy %.1f%%, MCA %.1f%%", 100 * m.accuracy,
                100 * m.mca);
  write_confusion_png(path("confusion.png"), m, class_names, title);
  return m;
}

void Workbench::write_reconstructions(Trainer& ae, const std::string& tag, const std::string& kind) {
  int n = int(std::min<size_t>({split.test.size(), size_t(16), size_t(ae.max_batch())}));
  if (n == 0) return;
  size_t per = data.shape.per_sample();
  std::vector<float> inputs(size_t(n) * per);
  const DeviceImages& src = ae_input(kind);
  Buffer<float> x(*be, inputs.size()), s(*be, inputs.size());
  for (int i = 0; i < n; ++i)
    be->copy(x.data() + size_t(i) * per, src.images.data() + size_t(split.test[i]) * per,
             per * sizeof(float));
  be->download(inputs.data(), x.data(), x.bytes());
  const float* z = ae.forward(n, x.data(), false);
  be->sigmoid_forward(inputs.size(), z, s.data());
  std::vector<float> recon(inputs.size());
  be->download(recon.data(), s.data(), s.bytes());
  write_image_grid_png(path("recon_grid" + tag + kind + ".png"), inputs.data(), recon.data(), n, data.shape.h,
                       data.shape.w, 2);
}

}  // namespace hep2::app
