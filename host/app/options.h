// Every setting of a hep2 run, as typed values. What each one means, its flag, its JSON key, its
// default and its range are declared once, in the settings table (settings.h); the defaults here
// are the paper's method with hep2's choices where the paper is silent (paper/NOTES.md).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hep2/nn/models.h"
#include "hep2/nn/param_block.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/method_kinds.h"
#include "hep2/pipeline/preprocess.h"

namespace hep2::app {

struct Options {
  // data
  std::string data;  // empty: the embedded synthetic HEp-2 cells
  int synth_count = 2000;
  std::vector<std::string> classes;  // keep only these classes, in this order
  bool no_mask = false;
  Normalization norm = Normalization::Percentile;
  Channel channel = Channel::Auto;
  double test_fraction = 0.2;  // used when the data has no split of its own
  int train_cells = 0;  // labelled training cells: a subset of whole specimens (0: all)
  Method method = Method::Dcae;
  // DCAE
  int size = 64;
  DecoderKind decoder = DecoderKind::Transposed;
  std::vector<int> channels = {32, 64, 64};
  InitScheme init = InitScheme::Torch;
  int epochs = 15;
  int batch = 64;
  double lr = 3e-4;
  double grad_lr = 0;  // hybrid: the gradient-image DCAE's learning rate (0: lr)
  bool no_augment = false;
  double ae_noise = 0;
  double lr_warmup = 0;
  AeObjective ae_loss = AeObjective::Mse;
  int dcae_ensemble = 1;
  // The DCAE trains at least this many steps (more epochs on small data): 15 epochs of a few
  // hundred cells are under 200 steps, where the paper's method lost 8 points on other
  // specimens (docs/accuracy.md, "The DCAE's budget on small sets").
  int ae_min_steps = 1000;
  // Cells the DCAE also learns from, labels unused: "" none, "train" the training cells left out
  // of train_cells, or a path (folder, manifest, ICPR2012 folder).
  std::string unlabeled;
  bool transductive = false;  // allow the evaluation's test cells among the unlabelled cells
  // features
  FeatureKind features = FeatureKind::Latent;
  int stats_stage = 2;
  std::vector<int> stats_sizes;  // empty: size alone
  int views = 1;
  // classifier
  ClassifierKind classifier = ClassifierKind::Mlp;
  // auto: the latent pooled, which lifted the paper's MLP on both splits of I3A at every size
  // measured, 700 to 8,700 cells (docs/accuracy.md, "The scaling of the latent").
  FeatureScaling clf_scale = FeatureScaling::Auto;
  double clf_ridge = 1e-3;
  int clf_self_train = 0;  // rounds of self-training of the linear classifier on unlabelled cells
  std::vector<std::string> clf_augment;  // photometric copies of the labelled cells (photometric.h)
  int clf_augment_below = 0;  // make the copies only below this many labelled cells (0: always)
  int clf_epochs = 60;
  int clf_batch = 64;
  double clf_lr = 1e-3;
  double dropout = 0.0;
  double weight_decay = 0.0;
  int patience = 10;
  int clf_ensemble = 1;
  bool clf_balance = false;
  double val_fraction = 0.1;
  Holdout holdout = Holdout::Specimen;
  // this invocation's machine and seed
  std::string device = "auto";
  int threads = 0;
  uint64_t seed = 1;
  bool tf32 = false;
  // Each DCAE training step replayed from a CUDA graph (the CUDA backend only; not recorded: a
  // machine setting like tf32).
  bool cuda_graph = false;
  // One DCAE trained by every rank of an MPI job, each on its part of every batch (recorded: a
  // resumed run continues the same way, on any number of ranks).
  bool data_parallel = false;
  // How this invocation runs; never recorded.
  bool resume = false;
  long stop_after_steps = -1;
};

}  // namespace hep2::app
