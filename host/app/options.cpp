// Flags, validation and JSON of the run settings.
#include "options.h"

#include <cmath>

#include "hep2/core/error.h"

namespace hep2::app {

nlohmann::json Options::to_json() const {
  return {{"data", data},
          {"synth_count", synth_count},
          {"classes", classes},
          {"no_mask", no_mask},
          {"norm", norm},
          {"channel", channel},
          {"test_fraction", test_fraction},
          {"method", method},
          {"size", size},
          {"decoder", decoder},
          {"channels", channels},
          {"init", init},
          {"features", features},
          {"stats_stage", stats_stage},
          {"stats_sizes", stats_sizes},
          {"epochs", epochs},
          {"batch", batch},
          {"lr", lr},
          {"grad_lr", grad_lr},
          {"ae_noise", ae_noise},
          {"lr_warmup", lr_warmup},
          {"ae_loss", ae_loss},
          {"dcae_ensemble", dcae_ensemble},
          {"no_augment", no_augment},
          {"classifier", classifier},
          {"clf_ridge", clf_ridge},
          {"clf_epochs", clf_epochs},
          {"clf_batch", clf_batch},
          {"clf_lr", clf_lr},
          {"dropout", dropout},
          {"weight_decay", weight_decay},
          {"patience", patience},
          {"clf_ensemble", clf_ensemble},
          {"clf_balance", clf_balance},
          {"val_fraction", val_fraction},
          {"views", views},
          {"holdout", holdout},
          {"device", device},
          {"threads", threads},
          {"seed", seed},
          {"tf32", tf32},
          {"out", out}};
}

void Options::merge_json(const nlohmann::json& j) {
  auto get = [&](const char* key, auto& field) {
    if (j.contains(key)) j.at(key).get_to(field);
  };
  get("data", data);
  get("synth_count", synth_count);
  get("classes", classes);
  get("no_mask", no_mask);
  get("norm", norm);
  get("channel", channel);
  get("test_fraction", test_fraction);
  get("method", method);
  get("size", size);
  get("decoder", decoder);
  get("channels", channels);
  get("init", init);
  get("features", features);
  get("stats_stage", stats_stage);
  get("stats_sizes", stats_sizes);
  get("epochs", epochs);
  get("batch", batch);
  get("lr", lr);
  get("grad_lr", grad_lr);
  get("ae_noise", ae_noise);
  get("lr_warmup", lr_warmup);
  get("ae_loss", ae_loss);
  get("dcae_ensemble", dcae_ensemble);
  get("no_augment", no_augment);
  get("classifier", classifier);
  get("clf_ridge", clf_ridge);
  get("clf_epochs", clf_epochs);
  get("clf_batch", clf_batch);
  get("clf_lr", clf_lr);
  get("dropout", dropout);
  get("weight_decay", weight_decay);
  get("patience", patience);
  get("clf_ensemble", clf_ensemble);
  get("clf_balance", clf_balance);
  get("val_fraction", val_fraction);
  get("views", views);
  get("holdout", holdout);
  get("seed", seed);
}

void Options::validate() const {
  auto need = [](bool ok, const char* flag, const std::string& what) {
    if (!ok) fail("option ", flag, ": ", what);
  };
  need(synth_count >= 10, "--synth-count", "must be at least 10");
  need(test_fraction > 0 && test_fraction < 1, "--test-fraction", "must be in (0, 1)");
  need(size >= 8 && size <= 1024, "--size", "must be in 8..1024");
  need(!channels.empty(), "--channels", "needs at least one stage");
  need(epochs >= 0 && epochs <= 100000, "--epochs", "must be in 0..100000");
  need(batch >= 1 && batch <= 65536, "--batch", "must be in 1..65536");
  need(std::isfinite(lr) && lr > 0 && lr < 1, "--lr", "must be a number in (0, 1)");
  need(std::isfinite(grad_lr) && grad_lr >= 0 && grad_lr < 1, "--grad-lr",
       "must be a number in [0, 1) (0: the same as --lr)");
  need(ae_noise >= 0 && ae_noise < 1, "--ae-noise", "must be in [0, 1)");
  need(std::isfinite(lr_warmup) && lr_warmup >= 0 && lr_warmup <= epochs, "--lr-warmup",
       "must be a number of epochs in [0, --epochs]");
  need(dcae_ensemble >= 1 && dcae_ensemble <= 20, "--dcae-ensemble", "must be in 1..20");
  need(clf_epochs >= 0 && clf_epochs <= 100000, "--clf-epochs", "must be in 0..100000");
  need(clf_batch >= 1 && clf_batch <= 65536, "--clf-batch", "must be in 1..65536");
  need(std::isfinite(clf_lr) && clf_lr > 0 && clf_lr < 1, "--clf-lr", "must be a number in (0, 1)");
  need(dropout >= 0 && dropout < 1, "--dropout", "must be in [0, 1)");
  need(std::isfinite(weight_decay) && weight_decay >= 0 && weight_decay < 1, "--weight-decay",
       "must be in [0, 1)");
  need(patience >= 1, "--patience", "must be at least 1");
  need(clf_ensemble >= 1 && clf_ensemble <= 100, "--clf-ensemble", "must be in 1..100");
  need(val_fraction >= 0 && val_fraction < 1, "--val-fraction", "must be in [0, 1)");
  need(holdout == "specimen" || holdout == "random", "--holdout", "must be specimen or random");
  need(views >= 1 && views <= 8, "--views", "must be in 1..8 (symmetries of the square)");
  need(threads >= 0 && threads <= 1024, "--threads", "must be in 0..1024 (0: all cores)");
  need(init == "torch" || init == "he", "--init", "must be torch or he");
  need(method == "dcae" || method == "hybrid" || method == "supervised", "--method",
       "must be dcae, hybrid or supervised");
  need(features == "latent" || features == "stats", "--features", "must be latent or stats");
  need(ae_loss == "mse" || ae_loss == "bce", "--ae-loss", "must be mse or bce");
  need(classifier == "mlp" || classifier == "linear", "--classifier", "must be mlp or linear");
  need(std::isfinite(clf_ridge) && clf_ridge > 0 && clf_ridge < 1e6, "--clf-ridge",
       "must be a number in (0, 1e6)");
  // The supervised baseline has neither DCAE features nor a separate classifier: it ignores
  // --features and --classifier (so the preset plus --method supervised is a valid command).
  if (method == "supervised") return;
  need(features != "stats" || (stats_stage >= 1 && size_t(stats_stage) <= channels.size()),
       "--stats-stage",
       "must name an encoder stage: 1.." + std::to_string(channels.size()) + " for --channels");
  need(features != "stats" || views == 1, "--views",
       "must be 1 with --features stats (those are already averaged over the 8 rotations/flips "
       "of each cell)");
  need(stats_sizes.empty() || (features == "stats" && method == "dcae"), "--stats-sizes",
       "needs --features stats and --method dcae (the latent's size is the DCAE's, and the "
       "gradient DCAE of --method hybrid reads at --size only)");
  const int div = 1 << channels.size();
  for (size_t i = 0; i < stats_sizes.size(); ++i) {
    const int s = stats_sizes[i];
    need(s >= div && s <= 1024 && s % div == 0, "--stats-sizes",
         std::to_string(s) + " is not a size the encoder can read: use multiples of " +
             std::to_string(div) + " (2^" + std::to_string(channels.size()) +
             " stages) up to 1024");
    for (size_t k = 0; k < i; ++k)
      need(stats_sizes[k] != s, "--stats-sizes", std::to_string(s) + " is given twice");
  }
  need(classifier != "linear" || clf_ensemble == 1, "--clf-ensemble",
       "must be 1 with --classifier linear (least squares has one exact solution)");
}

void add_data_options(CLI::App& app, Options& o) {
  app.add_option("--data", o.data,
                 "Cells: a manifest CSV (path,label[,mask][,split][,group]), a folder of class "
                 "folders, or an ICPR2012 contest folder. Default: embedded synthetic cells");
  app.add_option("--synth-count", o.synth_count, "Synthetic cells when --data is not given")
      ->capture_default_str();
  app.add_option("--classes", o.classes, "Keep only these classes, in this order")->delimiter(',');
  app.add_flag("--no-mask", o.no_mask, "Ignore cell masks");
  app.add_option("--norm", o.norm, "Intensity normalisation: percentile, minmax or none")
      ->capture_default_str();
  app.add_option("--channel", o.channel, "Channel of colour images: auto, gray, red, green, blue")
      ->capture_default_str();
  app.add_option("--test-fraction", o.test_fraction,
                 "Held-out fraction when the data has no split of its own")
      ->capture_default_str();
}

void add_model_options(CLI::App& app, Options& o) {
  app.add_option("--method", o.method,
                 "dcae (DCAE features + MLP), hybrid (+ a DCAE on gradient-magnitude images, "
                 "latents concatenated) or supervised (encoder + MLP trained with labels)")
      ->capture_default_str();
  app.add_option("--size", o.size, "Input size (pixels a side)")->capture_default_str();
  app.add_option("--decoder", o.decoder, "Decoder: deconv (transposed conv) or upsample")
      ->capture_default_str();
  app.add_option("--channels", o.channels, "Encoder channels per stage")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--init", o.init, "Initialisation: torch (PyTorch default) or he")
      ->capture_default_str();
  app.add_option("--features", o.features,
                 "Features of a cell: latent (the DCAE's latent, the paper's) or stats (mean, max "
                 "and std of each channel of encoder stage --stats-stage, averaged over the 8 "
                 "rotations/flips)")
      ->capture_default_str();
  app.add_option("--stats-stage", o.stats_stage,
                 "Encoder stage (1-based) whose channels --features stats summarises")
      ->capture_default_str();
  app.add_option("--stats-sizes", o.stats_sizes,
                 "Input sizes at which the trained encoder reads each cell for --features stats "
                 "(the DCAE trains at --size): each size has its own features and classifier, "
                 "and their class probabilities are averaged. Default: --size alone (list it too "
                 "to keep that reading)")
      ->delimiter(',');
}

void add_ae_options(CLI::App& app, Options& o) {
  app.add_option("--epochs", o.epochs, "Autoencoder epochs")->capture_default_str();
  app.add_option("--batch", o.batch, "Autoencoder batch size")->capture_default_str();
  app.add_option("--lr", o.lr, "Autoencoder learning rate (Adam)")->capture_default_str();
  app.add_option("--ae-loss", o.ae_loss,
                 "Autoencoder objective: mse (mean squared error of the sigmoid output) or bce "
                 "(binary cross-entropy: its gradient does not vanish where the sigmoid saturates, "
                 "the state of a collapsed DCAE); the logged loss is the MSE either way")
      ->capture_default_str();
  app.add_option("--lr-warmup", o.lr_warmup,
                 "Epochs over which the autoencoder's learning rate rises linearly to --lr "
                 "(smaller first steps; 0: none)")
      ->capture_default_str();
  app.add_option("--dcae-ensemble", o.dcae_ensemble,
                 "N: DCAEs to train; member k (1..N) is the run seed --seed + k - 1 would make, "
                 "with its own features and classifier; the prediction is the mean of their class "
                 "probabilities. Costs N times the DCAE training")
      ->capture_default_str();
  app.add_option("--grad-lr", o.grad_lr,
                 "Hybrid method: learning rate of the gradient-image DCAE (0: the same as --lr)")
      ->capture_default_str();
  app.add_flag("--no-augment", o.no_augment, "No random rotations/flips during training");
  app.add_option("--ae-noise", o.ae_noise,
                 "Denoising DCAE: drop each input pixel with this probability during training "
                 "(0: plain autoencoder)")
      ->capture_default_str();
}

void add_clf_options(CLI::App& app, Options& o) {
  app.add_option("--classifier", o.classifier,
                 "mlp (the paper's MLP 250-50, Adam) or linear (least squares onto the classes, "
                 "class-balanced with --clf-balance, solved exactly; one model)")
      ->capture_default_str();
  app.add_option("--clf-ridge", o.clf_ridge,
                 "Linear classifier: ridge penalty on the weights, relative to the cell count")
      ->capture_default_str();
  app.add_option("--clf-epochs", o.clf_epochs, "Classifier epochs (at most)")->capture_default_str();
  app.add_option("--clf-batch", o.clf_batch, "Classifier batch size")->capture_default_str();
  app.add_option("--clf-lr", o.clf_lr, "Classifier learning rate (Adam)")->capture_default_str();
  app.add_option("--dropout", o.dropout, "Dropout after each hidden layer")->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "Classifier decoupled weight decay")
      ->capture_default_str();
  app.add_option("--patience", o.patience, "Early-stopping patience (epochs)")->capture_default_str();
  app.add_option("--clf-ensemble", o.clf_ensemble,
                 "Classifiers to train (each its own seed and early-stopping cells) and average")
      ->capture_default_str();
  app.add_flag("--clf-balance,!--no-clf-balance", o.clf_balance,
               "Class-balanced classifier training: each epoch draws equally many cells from every "
               "class, and early stopping watches the mean over classes of the validation loss "
               "(aims at mean class accuracy; with --classifier linear: every class weighs the same in "
               "the fit); --no-clf-balance turns it off");
  app.add_option("--val-fraction", o.val_fraction,
                 "Fraction of training cells held out for early stopping (0: none)")
      ->capture_default_str();
  app.add_option("--holdout", o.holdout,
                 "How the early-stopping cells are chosen: specimen (whole groups when the data "
                 "names them, else the last cells of each class in file order) or random")
      ->capture_default_str();
}

void add_view_options(CLI::App& app, Options& o) {
  app.add_option("--views", o.views,
                 "Rotations/flips of each cell (1..8) whose features the classifier trains on (a "
                 "random one per epoch) and averages its predictions over")
      ->capture_default_str();
}

void add_system_options(CLI::App& app, Options& o) {
  app.add_option("--device", o.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (0: all cores)")->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of every random choice")->capture_default_str();
  app.add_flag("--tf32", o.tf32, "Allow TF32 tensor-core math on the GPU (faster, less exact)");
}

void add_resume_options(CLI::App& app, Options& o) {
  app.add_flag("--resume", o.resume,
               "Continue an interrupted run from the checkpoint in its --out folder");
  app.add_option("--stop-after-steps", o.stop_after_steps,
                 "Save a checkpoint and stop after this many training steps (time-boxing; "
                 "continue with --resume)");
}

}  // namespace hep2::app
