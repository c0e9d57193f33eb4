// Every setting of a hep2 run, its command-line flags, and its JSON form (the run folder's
// config.json records the settings actually used, so later steps and reruns read them back).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace hep2::app {

struct Options {
  // data
  std::string data;  // empty: the embedded synthetic HEp-2 cells
  int synth_count = 2000;
  std::vector<std::string> classes;  // keep only these classes, in this order
  bool no_mask = false;
  std::string norm = "percentile";
  std::string channel = "auto";
  double test_fraction = 0.2;  // used when the data has no split of its own
  // method: dcae (the paper), hybrid (+ a DCAE on gradient-magnitude images), supervised (the
  // encoder + MLP trained end to end with labels: the baseline the paper compares against)
  std::string method = "dcae";
  // model
  int size = 64;
  std::string decoder = "deconv";
  std::vector<int> channels = {32, 64, 64};
  std::string init = "torch";
  // features: latent (the paper's: the DCAE's latent) or stats (texture statistics of encoder
  // stage stats_stage, averaged over the 8 rotations/flips; pipeline/texture_features.h)
  std::string features = "latent";
  int stats_stage = 2;
  // Input sizes at which the trained encoder reads the cells for --features stats, each with its
  // own features and classifier, their class probabilities averaged (empty: size alone). The
  // DCAE still trains at `size`; its convolutions read any multiple of 2^stages.
  std::vector<int> stats_sizes;
  // autoencoder training
  int epochs = 15;
  int batch = 64;
  double lr = 3e-4;
  double grad_lr = 0;  // hybrid: the gradient-image DCAE's learning rate (0: --lr)
  bool no_augment = false;
  double ae_noise = 0;  // denoising: input pixels dropped with this probability
  double lr_warmup = 0;  // epochs over which the autoencoder's learning rate ramps up (0: none)
  std::string ae_loss = "mse";  // the autoencoder's objective: mse or bce
  // DCAEs trained (member k with seed + k - 1), each with its own features and classifier; the
  // prediction is the mean of their class probabilities
  int dcae_ensemble = 1;
  // classifier: mlp (the paper's 250-50 MLP, trained with Adam) or linear (class-balanced least
  // squares with ridge weight clf_ridge, solved exactly)
  std::string classifier = "mlp";
  double clf_ridge = 1e-3;
  int clf_epochs = 60;
  int clf_batch = 64;
  double clf_lr = 1e-3;
  double dropout = 0.0;
  double weight_decay = 0.0;
  int patience = 10;
  int clf_ensemble = 1;  // classifiers trained (seeds, early-stopping slices) and averaged
  bool clf_balance = false;  // equal cells per class each epoch, class-balanced early stopping
  double val_fraction = 0.1;  // of the training cells, for early stopping
  std::string holdout = "specimen";  // how that slice is chosen: specimen or random
  int views = 1;  // square symmetries per cell the classifier trains on and averages over
  // system
  std::string device = "auto";
  int threads = 0;
  uint64_t seed = 1;
  bool tf32 = false;
  std::string out;
  // Not part of the recorded settings: how this invocation runs.
  bool resume = false;
  long stop_after_steps = -1;

  nlohmann::json to_json() const;
  // Settings from a run folder's config.json; keys missing from it keep their defaults.
  void merge_json(const nlohmann::json& j);
  void validate() const;  // throws Error naming the option and the accepted range
};

void add_data_options(CLI::App& app, Options& o);
void add_model_options(CLI::App& app, Options& o);
void add_ae_options(CLI::App& app, Options& o);
void add_clf_options(CLI::App& app, Options& o);
// --views: for the commands that extract features and train/evaluate in one go (run, cv).
void add_view_options(CLI::App& app, Options& o);
void add_system_options(CLI::App& app, Options& o);
void add_resume_options(CLI::App& app, Options& o);

}  // namespace hep2::app
