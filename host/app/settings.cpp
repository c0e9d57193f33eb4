// The settings table and what is derived from it: flags, JSON, precedence, validation.
#include "settings.h"

#include <cmath>
#include <set>
#include <type_traits>

#include "choices.h"
#include "hep2/core/error.h"
#include "hep2/pipeline/photometric.h"
#include "hep2/pipeline/unlabelled_cells.h"

namespace hep2::app {
namespace {

std::string flag_of(const std::string& key) {
  std::string f = "--" + key;
  for (char& c : f)
    if (c == '_') c = '-';
  return f;
}

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

using Check = std::function<bool(const Options&)>;

Setting base(const char* key, const char* group, unsigned section, const Check& ok,
             const std::string& range) {
  Setting s;
  s.key = key;
  s.flag = flag_of(key);
  s.group = group;
  s.section = section;
  s.problem = [ok, range](const Options& o) { return !ok || ok(o) ? std::string() : range; };
  return s;
}

// A number, string or list: --flag VALUE (lists also VALUE,VALUE,...).
template <class T>
Setting value(const char* key, T Options::*m, const char* group, unsigned section,
              std::string help, const Check& ok = {}, const std::string& range = {}) {
  Setting s = base(key, group, section, ok, range);
  s.add_flag = [m, help, flag = s.flag, group](CLI::App& app, Options& o) {
    CLI::Option* opt = app.add_option(flag, o.*m, help);
    opt->group(group);
    if constexpr (IsVector<T>::value) {
      opt->delimiter(',');
      if (!(o.*m).empty()) opt->capture_default_str();
    } else if constexpr (std::is_arithmetic_v<T>) {
      opt->capture_default_str();
    } else if (!(o.*m).empty()) {
      opt->capture_default_str();
    }
  };
  s.get = [m](const Options& o) { return nlohmann::json(o.*m); };
  s.set = [m](Options& o, const nlohmann::json& j) { j.get_to(o.*m); };
  s.copy = [m](Options& to, const Options& from) { to.*m = from.*m; };
  return s;
}

// An on/off flag: --flag (and its negation when `names` has one, e.g. "--a,!--no-a").
Setting toggle(const char* key, bool Options::*m, const char* group, unsigned section,
               std::string help, std::string names = {}) {
  Setting s = base(key, group, section, {}, {});
  if (names.empty()) names = s.flag;
  s.add_flag = [m, help, names, group](CLI::App& app, Options& o) {
    app.add_flag(names, o.*m, help)->group(group);
  };
  s.get = [m](const Options& o) { return nlohmann::json(o.*m); };
  s.set = [m](Options& o, const nlohmann::json& j) { j.get_to(o.*m); };
  s.copy = [m](Options& to, const Options& from) { to.*m = from.*m; };
  return s;
}

// One of the names of choices.h.
template <class E>
Setting choice(const char* key, E Options::*m, const char* group, unsigned section,
               std::string help) {
  Setting s = base(key, group, section, {}, {});
  s.add_flag = [m, help, flag = s.flag, group](CLI::App& app, Options& o) {
    app.add_option_function<std::string>(
           flag,
           [&o, m, flag](const std::string& name) {
             try {
               o.*m = parse_choice<E>(name);
             } catch (const Error& e) {
               fail("option ", flag, ": ", e.what());
             }
           },
           help)
        ->default_str(name_of(o.*m))
        ->group(group);
  };
  s.get = [m](const Options& o) { return nlohmann::json(name_of(o.*m)); };
  s.set = [m](Options& o, const nlohmann::json& j) { o.*m = parse_choice<E>(j.get<std::string>()); };
  s.copy = [m](Options& to, const Options& from) { to.*m = from.*m; };
  return s;
}

bool finite_in(double v, double lo, double hi) { return std::isfinite(v) && v > lo && v < hi; }

// The parse error of the first token that is not a photometric change; empty when all are.
std::string photometric_problem(const std::vector<std::string>& tokens) {
  try {
    parse_photometric_list(tokens);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

constexpr const char* kData_ = "Data";
constexpr const char* kMethod = "Method";
constexpr const char* kDcae = "DCAE";
constexpr const char* kFeatures = "Features";
constexpr const char* kClassifier = "Classifier";
constexpr const char* kEvaluation = "Evaluation";
constexpr const char* kRun = "Device and run";

std::vector<Setting> make_table() {
  using O = Options;
  std::vector<Setting> t;
  // ---- data
  t.push_back(value("data", &O::data, kData_, kData,
                    "Cells: a manifest CSV (path,label[,mask][,split][,group]), a folder of class "
                    "folders, or an ICPR2012 contest folder. Default: embedded synthetic cells"));
  t.push_back(value("synth_count", &O::synth_count, kData_, kData,
                    "Synthetic cells when --data is not given",
                    [](const O& o) { return o.synth_count >= 10; }, "must be at least 10"));
  t.push_back(value("classes", &O::classes, kData_, kData, "Keep only these classes, in this order"));
  t.push_back(toggle("no_mask", &O::no_mask, kData_, kData, "Ignore cell masks"));
  t.push_back(choice("norm", &O::norm, kData_, kData,
                     "Intensity normalisation: percentile, minmax or none"));
  t.push_back(choice("channel", &O::channel, kData_, kData,
                     "Channel of colour images: auto, gray, red, green, blue"));
  // ---- method and model
  t.push_back(choice("method", &O::method, kMethod, kModel,
                     "dcae (DCAE features + classifier), hybrid (+ a DCAE on gradient-magnitude "
                     "images, features side by side) or supervised (encoder + MLP trained with "
                     "labels)"));
  t.push_back(value("size", &O::size, kDcae, kModel, "Input size (pixels a side)",
                    [](const O& o) { return o.size >= 8 && o.size <= 1024; }, "must be in 8..1024"));
  t.push_back(choice("decoder", &O::decoder, kDcae, kModel,
                     "Decoder: deconv (transposed conv) or upsample"));
  t.push_back(value("channels", &O::channels, kDcae, kModel, "Encoder channels per stage",
                    [](const O& o) { return !o.channels.empty(); }, "needs at least one stage"));
  t.push_back(choice("init", &O::init, kDcae, kModel,
                     "Initialisation: torch (PyTorch default) or he"));
  t.push_back(choice("features", &O::features, kFeatures, kModel,
                     "Features of a cell: latent (the DCAE's latent, the paper's) or stats (mean, "
                     "max and std of each channel of encoder stage --stats-stage, averaged over "
                     "the 8 rotations/flips)"));
  t.push_back(value("stats_stage", &O::stats_stage, kFeatures, kModel,
                    "Encoder stage (1-based) whose channels --features stats summarises"));
  t.push_back(value("stats_sizes", &O::stats_sizes, kFeatures, kModel,
                    "Input sizes at which the trained encoder reads each cell for --features stats "
                    "(the DCAE trains at --size): each size has its own features and classifier, "
                    "and their class probabilities are averaged. Default: --size alone (list it "
                    "too to keep that reading)"));
  // ---- autoencoder training
  t.push_back(value("epochs", &O::epochs, kDcae, kAe, "Autoencoder epochs",
                    [](const O& o) { return o.epochs >= 0 && o.epochs <= 100000; },
                    "must be in 0..100000"));
  t.push_back(value("batch", &O::batch, kDcae, kAe, "Autoencoder batch size",
                    [](const O& o) { return o.batch >= 1 && o.batch <= 65536; },
                    "must be in 1..65536"));
  t.push_back(value("lr", &O::lr, kDcae, kAe, "Autoencoder learning rate (Adam)",
                    [](const O& o) { return finite_in(o.lr, 0, 1); }, "must be a number in (0, 1)"));
  t.push_back(choice("ae_loss", &O::ae_loss, kDcae, kAe,
                     "Autoencoder objective: mse (mean squared error of the sigmoid output) or "
                     "bce (binary cross-entropy: its gradient does not vanish where the sigmoid "
                     "saturates, the state of a collapsed DCAE); the logged loss is the MSE "
                     "either way"));
  t.push_back(value("lr_warmup", &O::lr_warmup, kDcae, kAe,
                    "Epochs over which the autoencoder's learning rate rises linearly to --lr "
                    "(smaller first steps; 0: none)",
                    [](const O& o) {
                      return std::isfinite(o.lr_warmup) && o.lr_warmup >= 0 &&
                             o.lr_warmup <= o.epochs;
                    },
                    "must be a number of epochs in [0, --epochs]"));
  t.push_back(value("dcae_ensemble", &O::dcae_ensemble, kDcae, kAe,
                    "N: DCAEs to train; member k (1..N) is the run seed --seed + k - 1 would make, "
                    "with its own features and classifier; the prediction is the mean of their "
                    "class probabilities. Costs N times the DCAE training",
                    [](const O& o) { return o.dcae_ensemble >= 1 && o.dcae_ensemble <= 20; },
                    "must be in 1..20"));
  t.push_back(value("ae_min_steps", &O::ae_min_steps, kDcae, kAe,
                    "At least this many autoencoder steps: on small data the epochs rise to reach "
                    "it (1000 steps of 64 are 91 epochs of 700 cells, 15 of 4,300 or more), so "
                    "that a few hundred cells do not stop after a couple of hundred steps; 0: "
                    "--epochs alone (as a run folder's config.json written without this key)",
                    [](const O& o) { return o.ae_min_steps >= 0 && o.ae_min_steps <= 10000000; },
                    "must be in 0..10000000"));
  t.back().before_it_existed = 0;  // those runs trained --epochs alone
  t.push_back(value("unlabeled", &O::unlabeled, kDcae, kAe | kLabelled,
                    "Cells the DCAE also learns from, their labels unused: 'train' (the training "
                    "cells --train-cells leaves out), 'test' (the evaluation's test cells; needs "
                    "--transductive), 'train,test', or a folder of images, a manifest (the label column "
                    "may be left out) or ICPR2012 folder (where the evaluation's test cells are "
                    "refused unless --transductive); "
                    "--clf-self-train pseudo-labels them"));
  t.push_back(toggle("transductive", &O::transductive, kDcae, kAe | kLabelled,
                     "Allow the evaluation's test cells among the --unlabeled cells (transductive "
                     "learning; reports name it)"));
  t.push_back(value("grad_lr", &O::grad_lr, kDcae, kAe,
                    "Hybrid method: learning rate of the gradient-image DCAE (0: the same as --lr)",
                    [](const O& o) { return std::isfinite(o.grad_lr) && o.grad_lr >= 0 && o.grad_lr < 1; },
                    "must be a number in [0, 1) (0: the same as --lr)"));
  t.push_back(toggle("no_augment", &O::no_augment, kDcae, kAe,
                     "No random rotations/flips during training"));
  t.push_back(value("ae_noise", &O::ae_noise, kDcae, kAe,
                    "Denoising DCAE: drop each input pixel with this probability during training "
                    "(0: plain autoencoder)",
                    [](const O& o) { return o.ae_noise >= 0 && o.ae_noise < 1; }, "must be in [0, 1)"));
  // ---- classifier
  t.push_back(choice("classifier", &O::classifier, kClassifier, kClf,
                     "mlp (the paper's MLP 250-50, Adam) or linear (least squares onto the "
                     "classes, class-balanced with --clf-balance, solved exactly; one model)"));
  t.push_back(choice("clf_scale", &O::clf_scale, kClassifier, kClf,
                     "How the classifier's inputs are scaled on the labelled cells: feature (each "
                     "feature to unit deviation), pooled (each centred, all divided by one pooled "
                     "deviation: a latent position that barely varies stays small) or auto (pooled "
                     "for the DCAE's latent with --method dcae, feature otherwise)"));
  t.back().before_it_existed = "feature";  // those runs scaled every feature alike
  t.push_back(value("clf_ridge", &O::clf_ridge, kClassifier, kClf,
                    "Linear classifier: ridge penalty on the weights, relative to the cell count; "
                    "0: chosen among 1e-3, 1e-2, 0.1, 1 by 5-fold cross-validation over whole "
                    "specimens inside the labelled training cells",
                    [](const O& o) { return o.clf_ridge == 0 || finite_in(o.clf_ridge, 0, 1e6); },
                    "must be 0 (chosen by cross-validation) or a number in (0, 1e6)"));
  t.push_back(value("clf_self_train", &O::clf_self_train, kClassifier, kClf,
                    "Linear classifier: rounds of self-training on the --unlabeled cells: each "
                    "round labels the most confident share of each "
                    "predicted class with the classifier's own predictions and refits, all of them "
                    "by the last round; 0: off",
                    [](const O& o) { return o.clf_self_train >= 0 && o.clf_self_train <= 100; },
                    "must be in 0..100"));
  t.push_back(value("clf_augment", &O::clf_augment, kClassifier, kClf,
                    "Feature augmentation: the classifier also learns from each labelled "
                    "cell read again under each photometric change given, with the cell's label "
                    "(gammaG: normalised intensity^G; blurS: a Gaussian blur of sigma S pixels; "
                    "both joined by '+'), e.g. gamma2 blur1: staining strength and focus that "
                    "differ between specimens stop looking like patterns. Costs one more "
                    "feature extraction of the labelled cells per change; none by default. "
                    "On I3A they lifted the least squares on --features stats on one split "
                    "of specimens and lowered it on another, and lowered the MLP on the latent: "
                    "check on your own folds (docs/accuracy.md)",
                    [](const O& o) { return photometric_problem(o.clf_augment).empty(); },
                    "must list photometric changes: gammaG (G in (0, 10]) or blurS (S in (0, 20]) "
                    "or both joined by '+', e.g. gamma2 blur1"));
  t.push_back(value("clf_augment_below", &O::clf_augment_below, kClassifier, kClf,
                    "Make the --clf-augment copies only when there are fewer labelled cells than "
                    "this (0: always): the copies gain most where a few specimens are all the "
                    "classifier sees, and can cost a little where there are many",
                    [](const O& o) { return o.clf_augment_below >= 0; }, "must be 0 or more"));
  t.push_back(value("clf_epochs", &O::clf_epochs, kClassifier, kClf, "Classifier epochs (at most)",
                    [](const O& o) { return o.clf_epochs >= 0 && o.clf_epochs <= 100000; },
                    "must be in 0..100000"));
  t.push_back(value("clf_batch", &O::clf_batch, kClassifier, kClf, "Classifier batch size",
                    [](const O& o) { return o.clf_batch >= 1 && o.clf_batch <= 65536; },
                    "must be in 1..65536"));
  t.push_back(value("clf_lr", &O::clf_lr, kClassifier, kClf, "Classifier learning rate (Adam)",
                    [](const O& o) { return finite_in(o.clf_lr, 0, 1); },
                    "must be a number in (0, 1)"));
  t.push_back(value("dropout", &O::dropout, kClassifier, kClf, "Dropout after each hidden layer",
                    [](const O& o) { return o.dropout >= 0 && o.dropout < 1; }, "must be in [0, 1)"));
  t.push_back(value("weight_decay", &O::weight_decay, kClassifier, kClf,
                    "Classifier decoupled weight decay",
                    [](const O& o) {
                      return std::isfinite(o.weight_decay) && o.weight_decay >= 0 && o.weight_decay < 1;
                    },
                    "must be in [0, 1)"));
  t.push_back(value("patience", &O::patience, kClassifier, kClf, "Early-stopping patience (epochs)",
                    [](const O& o) { return o.patience >= 1; }, "must be at least 1"));
  t.push_back(value("clf_ensemble", &O::clf_ensemble, kClassifier, kClf,
                    "Classifiers to train (each its own seed and early-stopping cells) and average",
                    [](const O& o) { return o.clf_ensemble >= 1 && o.clf_ensemble <= 100; },
                    "must be in 1..100"));
  t.push_back(toggle("clf_balance", &O::clf_balance, kClassifier, kClf,
                     "Class-balanced classifier training: each epoch draws equally many cells from "
                     "every class, and early stopping watches the mean over classes of the "
                     "validation loss (aims at mean class accuracy; with --classifier linear: "
                     "every class weighs the same in the fit); --no-clf-balance turns it off",
                     "--clf-balance,!--no-clf-balance"));
  t.push_back(value("val_fraction", &O::val_fraction, kClassifier, kClf,
                    "Fraction of training cells held out for early stopping (0: none)",
                    [](const O& o) { return o.val_fraction >= 0 && o.val_fraction < 1; },
                    "must be in [0, 1)"));
  t.push_back(choice("holdout", &O::holdout, kClassifier, kClf,
                     "How the early-stopping cells are chosen: specimen (whole groups when the "
                     "data names them, else the last cells of each class in file order) or random"));
  t.push_back(value("test_fraction", &O::test_fraction, kEvaluation, kData,
                    "Held-out fraction when the data has no split of its own",
                    [](const O& o) { return o.test_fraction > 0 && o.test_fraction < 1; },
                    "must be in (0, 1)"));
  t.push_back(value("train_cells", &O::train_cells, kEvaluation, kLabelled,
                    "Labelled training cells: a seeded subset of the training cells made of whole "
                    "specimens (groups; without groups, blocks of 50 consecutive cells of a class), "
                    "each class keeping its share (0: all). For learning curves",
                    [](const O& o) { return o.train_cells >= 0; }, "must be 0 (all) or more"));
  // ---- views (the commands that extract features and train/evaluate in one go)
  t.push_back(value("views", &O::views, kFeatures, kViews,
                    "Rotations/flips of each cell (1..8) whose features the classifier trains on "
                    "(a random one per epoch) and averages its predictions over",
                    [](const O& o) { return o.views >= 1 && o.views <= 8; },
                    "must be in 1..8 (symmetries of the square)"));
  // ---- this invocation's machine, and the seed
  Setting device = value("device", &O::device, kRun, kSystem, "auto, cpu, cuda or cuda:N");
  device.from_run = false;
  t.push_back(device);
  Setting threads = value("threads", &O::threads, kRun, kSystem, "CPU threads (0: all cores)",
                          [](const O& o) { return o.threads >= 0 && o.threads <= 1024; },
                          "must be in 0..1024 (0: all cores)");
  threads.from_run = false;
  t.push_back(threads);
  t.push_back(value("seed", &O::seed, kRun, kSystem, "Seed of every random choice"));
  t.push_back(toggle("data_parallel", &O::data_parallel, kRun, kAe,
                     "Train each DCAE and the MLP classifier with every rank of the MPI job "
                     "(mpirun/srun): each rank trains on its part of every batch, gradients "
                     "summed in rank order (NCCL between GPUs); the loss curves match one "
                     "process to float rounding (docs/scaling.md)"));
  Setting tf32 = toggle("tf32", &O::tf32, kRun, kSystem,
                        "Allow TF32 tensor-core math on the GPU (faster, less exact)");
  tf32.from_run = false;
  t.push_back(tf32);
  Setting graph = toggle("cuda_graph", &O::cuda_graph, kRun, kAe,
                         "Capture each DCAE training step into a CUDA graph after its first run "
                         "and replay it: one launch per step instead of one per op, the same "
                         "kernels with the same arguments (CUDA backend only; refused on the CPU)");
  graph.from_run = false;
  t.push_back(graph);
  return t;
}

// Keys a run folder's config.json records beside the settings.
const std::set<std::string> kRecordOnly = {"out", "backend", "peak_device_bytes", "version",
                                           "description"};

}  // namespace

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = make_table();
  return table;
}

void add_settings(CLI::App& cmd, Options& o, unsigned sections) {
  for (const Setting& s : settings())
    if (s.section & sections) s.add_flag(cmd, o);
}

nlohmann::json to_json(const Options& o) {
  nlohmann::json j = nlohmann::json::object();
  for (const Setting& s : settings()) j[s.key] = s.get(o);
  return j;
}

void merge_json(Options& o, const nlohmann::json& j, JsonSource source) {
  if (!j.is_object()) fail("expected a JSON object of settings, e.g. {\"epochs\": 30}");
  for (const Setting& s : settings())
    if (j.contains("version") && !j.contains(s.key) && !s.before_it_existed.is_null())
      s.set(o, s.before_it_existed);
  for (const Setting& s : settings()) {
    if (!j.contains(s.key) || (source == JsonSource::RunFolder && !s.from_run)) continue;
    try {
      s.set(o, j.at(s.key));
    } catch (const nlohmann::json::exception& e) {
      fail("\"", s.key, "\": ", j.at(s.key).dump(), " is not a value of ", s.flag, " (", e.what(),
           ")");
    } catch (const Error& e) {
      fail("\"", s.key, "\": ", e.what());
    }
  }
  if (source != JsonSource::ConfigFile) return;
  for (const auto& [key, v] : j.items()) {
    bool known = kRecordOnly.count(key) > 0;
    for (const Setting& s : settings()) known = known || s.key == key;
    if (!known) fail("\"", key, "\" is not a hep2 setting (see hep2 run --help; keys are the flags' names with underscores)");
  }
}

void copy_given(const CLI::App& cmd, const Options& given, Options& to, unsigned sections) {
  for (const Setting& s : settings()) {
    if (!(s.section & sections)) continue;
    const CLI::Option* opt = cmd.get_option_no_throw(s.flag);
    if (opt && opt->count() > 0) s.copy(to, given);
  }
}

std::string with_flags(std::string message) {
  for (const Setting& s : settings()) {
    const std::string key = "{" + s.key + "}";
    for (size_t at = message.find(key); at != std::string::npos; at = message.find(key, at))
      message.replace(at, key.size(), s.flag);
  }
  return message;
}

void validate(const Options& o) {
  auto need = [](bool ok, const std::string& flag, const std::string& what) {
    if (!ok) fail("option ", flag, ": ", what);
  };
  for (const Setting& s : settings()) need(s.problem(o).empty(), s.flag, s.problem(o));
  // The supervised baseline has neither DCAE features nor a separate classifier: it ignores
  // --features and --classifier (so the preset plus --method supervised is a valid command).
  need(!o.transductive || !o.unlabeled.empty(), "--transductive", "needs --unlabeled");
  const UnlabelledSources unlabelled = unlabelled_sources(o.unlabeled);
  need(!unlabelled.test || o.transductive, "--unlabeled",
       "'test' makes the evaluation's test cells training data (unlabelled): add --transductive, "
       "and the report names the figures transductive");
  need(!o.cuda_graph || !o.data_parallel, "--cuda-graph",
       "does not combine with --data-parallel yet (the gradient sum between ranks is not "
       "captured); drop one of them");
  if (o.method == Method::Supervised) {
    need(o.unlabeled.empty(), "--unlabeled",
         "the supervised baseline learns from labelled cells only: drop it or use --method dcae");
    return;
  }
  const bool stats = o.features == FeatureKind::Stats;
  need(!stats || (o.stats_stage >= 1 && size_t(o.stats_stage) <= o.channels.size()),
       "--stats-stage",
       "must name an encoder stage: 1.." + std::to_string(o.channels.size()) + " for --channels");
  need(!stats || o.views == 1, "--views",
       "must be 1 with --features stats (those are already averaged over the 8 rotations/flips "
       "of each cell)");
  need(o.stats_sizes.empty() || (stats && o.method == Method::Dcae), "--stats-sizes",
       "needs --features stats and --method dcae (the latent's size is the DCAE's, and the "
       "gradient DCAE of --method hybrid reads at --size only)");
  const int div = 1 << o.channels.size();
  for (size_t i = 0; i < o.stats_sizes.size(); ++i) {
    const int s = o.stats_sizes[i];
    need(s >= div && s <= 1024 && s % div == 0, "--stats-sizes",
         std::to_string(s) + " is not a size the encoder can read: use multiples of " +
             std::to_string(div) + " (2^" + std::to_string(o.channels.size()) +
             " stages) up to 1024");
    for (size_t k = 0; k < i; ++k)
      need(o.stats_sizes[k] != s, "--stats-sizes", std::to_string(s) + " is given twice");
  }
  need(o.clf_augment.empty() || o.method == Method::Dcae, "--clf-augment",
       "needs --method dcae (the hybrid's gradient DCAE reads the cells as they are)");
  need(o.classifier != ClassifierKind::Linear || o.clf_ensemble == 1, "--clf-ensemble",
       "must be 1 with --classifier linear (least squares has one exact solution)");
  need(unlabelled.path.empty() || o.method == Method::Dcae, "--unlabeled",
       "a path of unlabelled cells needs --method dcae (the hybrid's gradient DCAE learns from the "
       "data's cells only)");
  need(!unlabelled.train || o.train_cells > 0, "--unlabeled",
       "'train' needs --train-cells: without it every training cell is labelled already");
}

}  // namespace hep2::app
