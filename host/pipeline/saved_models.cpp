// The method's trained models read back from their checkpoint files, checked first.
#include "hep2/pipeline/saved_models.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "hep2/core/error.h"
#include "hep2/pipeline/checkpoint.h"
#include "hep2/pipeline/model_json.h"
#include "hep2/pipeline/trainer_checkpoint.h"

namespace hep2 {

namespace {
// A header without the fields hep2 writes: another program's file, or a damaged one.
[[noreturn]] void foreign_header(const std::string& file, const nlohmann::json::exception& e,
                                 const Remedy& remedy) {
  fail(file, ": the checkpoint's header is not what hep2 writes (", e.what(), "); retrain with `",
       remedy.train_command, "`");
}

void require_exists(const std::string& file, const Remedy& remedy) {
  if (!std::filesystem::exists(file))
    fail(file, " does not exist: run `", remedy.train_command, "` first");
}

void require_kind(const std::string& file, const Checkpoint& c, const std::string& kind,
                  const std::string& what, const Remedy& remedy) {
  const std::string found = c.header.value("kind", "");
  if (found != kind)
    fail(file, ": not a ", what, " checkpoint (kind '", found, "'); retrain it with `",
         remedy.train_command, "`");
}
}  // namespace

TrainedDcae load_dcae(Backend& be, const std::string& file, const DcaeFileExpectation& expect,
                      const Remedy& remedy) {
  try {
    require_exists(file, remedy);
    Checkpoint c = load_checkpoint(file);
    require_kind(file, c, "dcae", "DCAE", remedy);
    TrainedDcae ae;
    ae.config = dcae_config_from_json(c.header.at("config"));
    if (ae.config.height != expect.trained_size)
      fail(file, ": the model takes ", ae.config.height, "x", ae.config.width,
           " inputs but --size is ", expect.trained_size);
    // Convolutions and pooling have the same parameters at every input size: the trained network,
    // rebuilt for another size, reads the cells at that size.
    if (expect.read_size > 0) ae.config.height = ae.config.width = expect.read_size;
    ae.config.validate();
    Dcae m = build_dcae(ae.config);
    ae.latent_end = m.latent_end;
    ae.net = std::make_unique<Trainer>(be, std::move(m.net), expect.batch, expect.optimizer);
    restore_trainer(file, *ae.net, c);
    return ae;
  } catch (const nlohmann::json::exception& e) {
    foreign_header(file, e, remedy);
  }
}

AeTrainState resume_dcae(const std::string& file, Trainer& net, const DcaeConfig& config) {
  Checkpoint c = load_checkpoint(file);
  if (c.header.value("kind", "") != "dcae" || c.header.value("config", nlohmann::json()) != to_json(config))
    fail(file, ": was written for another model than config.json describes; cannot resume");
  restore_trainer(file, net, c);
  try {
    return ae_train_state_from_json(c.header.at("train_state"));
  } catch (const nlohmann::json::exception& e) {
    fail(file, ": the checkpoint's training state is not what hep2 writes (", e.what(),
         "); start again without --resume");
  }
}

SavedClassifier load_classifier(Backend& be, const std::function<std::string(int)>& member_file,
                                const ClassifierFileExpectation& expect, const Remedy& remedy) {
  SavedClassifier saved;
  FittedClassifier& fitted = saved.fitted;
  int inputs = expect.inputs, classes = expect.classes, count = 1;
  for (int k = 0; k < count; ++k) {
    const std::string file = member_file(k);
    try {
      require_exists(file, remedy);
      Checkpoint c = load_checkpoint(file);
      require_kind(file, c, "mlp", "classifier", remedy);
      if (k == 0) count = std::max(1, c.header.value("ensemble", 1));
      const MlpConfig cfg = mlp_config_from_json(c.header.at("config"));
      if (inputs > 0 && cfg.inputs != inputs)
        fail(file, ": the classifier takes ", cfg.inputs, " features but the features have ",
             inputs, " per cell; extract them with the same DCAE");
      if (classes > 0 && cfg.classes != classes)
        fail(file, ": the classifier has ", cfg.classes, " classes but the data has ", classes);
      // Every member standardises the same way: the scaler is fitted once on the training cells.
      FeatureScaler s;
      s.mean = c.header.at("feature_mean").get<std::vector<float>>();
      s.inv_std = c.header.at("feature_inv_std").get<std::vector<float>>();
      if (k == 0) {
        saved.class_names = c.header.value("class_names", std::vector<std::string>{});
        fitted.scaler = std::move(s);
        fitted.temperature = c.header.value("temperature", 0.0);
        inputs = cfg.inputs;
        classes = cfg.classes;
      } else if (s.mean != fitted.scaler.mean || s.inv_std != fitted.scaler.inv_std) {
        fail(file, " belongs to another training than ", member_file(0),
             " (its feature scaling differs); retrain with `", remedy.train_command, "`");
      }
      auto net = std::make_unique<Trainer>(be, build_mlp(cfg), expect.batch, expect.optimizer);
      restore_trainer(file, *net, c);
      fitted.members.push_back({std::move(net), c.header.value("best_epoch", 0), {}, {}});
    } catch (const nlohmann::json::exception& e) {
      foreign_header(file, e, remedy);
    }
  }
  return saved;
}

}  // namespace hep2
