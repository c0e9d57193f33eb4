// The state one hep2 command works with: its settings, the compute backend, the run folder, the
// preprocessed cells and their train/test split, and the steps of the method that the
// subcommands chain: train-ae -> extract -> train-clf -> eval.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hep2/nn/models.h"
#include "hep2/pipeline/dataset.h"
#include "hep2/pipeline/split.h"
#include "hep2/pipeline/training.h"
#include "hep2/report/metrics.h"
#include "options.h"
#include "progress_line.h"

namespace hep2::app {

// Speeds of the last DCAE trained and extracted; seconds of all the run's classifiers together.
struct PhaseTimes {
  double train_ae_images_per_s = 0, extract_images_per_s = 0, train_clf_seconds = 0;
};

// Training was stopped on request after its state was saved; main() prints the message and
// exits with `code` (130 after a signal, 0 for --stop-after-steps).
struct Stopped : std::runtime_error {
  Stopped(int c, const std::string& m) : std::runtime_error(m), code(c) {}
  int code;
};
// Set by the SIGINT/SIGTERM handler; training loops stop after their current step.
extern std::atomic<bool> g_stop_requested;

// A trained classifier: one network, or an ensemble (--clf-ensemble) whose members differ in
// seed and early-stopping slice; it predicts the mean of its members' probabilities.
using Classifier = std::vector<std::unique_ptr<Trainer>>;

// One DCAE of a --dcae-ensemble. Member k (0-based) is what a run with seed + k makes on the same
// cells and split: its DCAE, its features and its classifier. Its artefacts carry its tag
// (dcae_m2.ckpt, features_m2.npy, mlp_m2.ckpt, ...); the first member's tag is empty, so a
// one-DCAE run keeps the plain names.
struct DcaeMember {
  int index = 0;
  uint64_t seed = 1;
  std::string tag;
};

// One reading of a member's trained DCAE: its encoder applied to the cells preprocessed at `size`
// (--stats-sizes; --size when not given). Each reading has its own features and classifier,
// features<tag>.npy and mlp<tag>.ckpt, whose tag is the member's plus "_px<size>" for a size
// other than --size (so a run at --size alone keeps the plain names).
struct Reading {
  DcaeMember member;
  int size = 64;
  std::string tag;
  bool first = false;  // the run's first reading also writes labels.npy, split.npy, classes.json
};

// Class-probability tables (rows x classes) of the same rows, and their mean: a member's readings'
// tables give the member's, the members' give the ensemble's.
class ProbabilityMean {
 public:
  void add(std::vector<float> p);
  std::vector<float> mean() const;
  const std::vector<std::vector<float>>& tables() const { return tables_; }

 private:
  std::vector<std::vector<float>> tables_;
};

// The ensemble's prediction: the mean of the members' means (each member weighs the same,
// whatever its number of readings).
std::vector<float> mean_of_members(const std::vector<ProbabilityMean>& members);

class Workbench {
 public:
  Workbench(Options opt, std::string run_dir);
  Options opt;
  std::string run_dir;
  std::string command = "run";  // the subcommand, for the resume hint
  std::unique_ptr<Backend> be;
  ProgressLine progress;
  PhaseTimes times;

  std::string path(const std::string& name) const { return run_dir + "/" + name; }
  void save_config() const;

  // Creates the run folder and writes config.json (the settings actually used).
  // Data: loads (or synthesises) and preprocesses once; split by the data's own split column or a
  // seeded stratified (grouped) split.
  void load_data();
  // The cells preprocessed with the given options, from the data's source (the files or the
  // synthetic generator of load_data, the images of `classify`): data is source(--size), and
  // cells_at() makes the other sizes of --stats-sizes from it.
  std::function<Dataset(const PreprocessOptions&)> cell_source;
  PreprocessOptions preprocess_options(int size) const;
  Dataset data;
  SplitIndices split;
  std::unique_ptr<DeviceImages> device_data;
  void upload_data();
  // The cells at input size `size`: device_data for --size, otherwise made and uploaded on first
  // use (the same cells in the same order, preprocessed at that size).
  const DeviceImages& cells_at(int size);

  DcaeConfig dcae_config() const;
  std::vector<DcaeMember> dcae_members() const;  // --dcae-ensemble of them
  std::vector<Reading> readings(const DcaeMember& member) const;  // one per --stats-sizes
  std::vector<Reading> readings() const;  // of every member, member by member
  MlpConfig mlp_config(int inputs, int classes) const;

  // The autoencoders of a member: kind "" learns the images, "_grad" their gradient magnitudes
  // (hybrid method). Their artefacts carry the member's tag and the kind: dcae<tag><kind>.ckpt,
  // ae<tag><kind>_log.csv, loss_curve<tag><kind>.png, recon_grid<tag><kind>.png.
  std::unique_ptr<DeviceImages> grad_data;  // uploaded on first use
  DeviceImages& ae_input(const std::string& kind);
  double ae_lr(const std::string& kind) const;  // --lr, or --grad-lr for the gradient DCAE

  // Steps. Each writes its artefacts into the run folder.
  // Trains the DCAE on split.train; checkpoints after every epoch (the last 3 kept). With resume,
  // continues from its checkpoint. Throws Stopped when interrupted (SIGINT/SIGTERM or
  // --stop-after-steps) after saving a checkpoint.
  std::unique_ptr<Trainer> train_ae(bool resume, const DcaeMember& member,
                                    const std::string& kind = "");
  // Trains (or, with resume, continues) the member's autoencoders: both for --method hybrid.
  void train_member(bool resume, const DcaeMember& member);
  // The member's trained DCAE from its checkpoint, built to read inputs of `size` (0: --size;
  // the checkpoint must have been trained at --size).
  std::unique_ptr<Trainer> load_ae(const DcaeMember& member, const std::string& kind = "",
                                   int size = 0);
  DeviceFeatures extract(Trainer& ae, const DeviceImages& images);
  // The reading's features of the configured method (dcae, or hybrid: both latents side by
  // side), from the member's trained autoencoders.
  DeviceFeatures method_features(const Reading& reading);
  // features<tag>.npy; the first reading also writes labels.npy, split.npy and classes.json.
  void save_features(const DeviceFeatures& f, const Reading& reading);
  // Fits the feature scaler on the training rows and standardises f in place, then trains
  // (--classifier mlp: the MLP ensemble, clf_log<tag>.csv; linear: least squares): mlp<tag>.ckpt
  // (with the scaler) and the MLP ensemble's other members, mlp<tag>_2.ckpt ...
  Classifier train_clf(DeviceFeatures& f, const Buffer<int32_t>& labels,
                       const std::vector<int>& train, const Reading& reading);
  // Loads the reading's classifier (and `scaler`), standardises f in place, and returns the
  // classifier's probabilities of `rows`.
  std::vector<float> reading_probabilities(DeviceFeatures& f, const Reading& reading,
                                           const std::vector<int>& rows);
  // The supervised baseline: the same encoder and MLP trained end to end with labels on the
  // images (augmented like the DCAE): supervised.ckpt, clf_log.csv.
  Classifier train_supervised(const std::vector<int>& train);
  // The whole configured method (--method) on split.train, evaluated on split.test.
  Metrics run_method(bool save_features);
  FeatureScaler scaler;  // of the classifier trained or loaded
  void standardize(DeviceFeatures& f) { apply_feature_scaler(*be, scaler, f); }
  // The reading's classifier, mlp<tag>.ckpt and its ensemble; also loads `scaler`.
  Classifier load_clf(int inputs, int classes, const Reading& reading);
  // Scores the ensemble's class probabilities of `rows` against `truth`: `members` holds one
  // ProbabilityMean per DCAE member (in member order), each with one table per reading (in
  // reading order); the prediction is the mean of the members' means. Writes metrics.json (with
  // the group-level vote when the data has groups, each DCAE member's own figures when there are
  // several, and each reading's when a member has several) and confusion.png.
  Metrics evaluate(const std::vector<ProbabilityMean>& members, const std::vector<int>& rows,
                   const std::vector<int32_t>& truth);
  // The class probabilities evaluate() scored, for analyses outside hep2 (other ensembles,
  // calibration, ROC curves): test_probabilities.npy, float32 [DCAE members, readings, rows,
  // classes] in metrics.json's member and reading order (one member and one reading for the
  // supervised baseline); test_labels.npy, the true classes; test_rows.npy, each row's index in
  // the data's cell order (the order of labels.npy and features.npy).
  void save_test_probabilities(const std::vector<ProbabilityMean>& members,
                               const std::vector<int>& rows,
                               const std::vector<int32_t>& truth) const;
  std::optional<Metrics> group_metrics;  // of the last evaluate(), when groups are known
  // Each DCAE member's own figures in the last evaluate(), when there are several.
  struct MemberMetrics {
    uint64_t seed = 0;
    Metrics metrics;
  };
  std::vector<MemberMetrics> member_metrics;
  // Each reading's own figures in the last evaluate(), when a member has several readings.
  struct ReadingMetrics {
    int member = 1;  // 1-based, as in metrics.json
    uint64_t seed = 0;
    int size = 0;
    Metrics metrics;
  };
  std::vector<ReadingMetrics> reading_metrics;
  void write_reconstructions(Trainer& ae, const std::string& tag, const std::string& kind);
  std::vector<std::string> class_names;

 private:
  // Early stopping's slice of the training cells for ensemble member `member`.
  void hold_out_validation(const std::vector<int>& train, std::vector<int>& fit,
                           std::vector<int>& val, int member, uint64_t seed) const;
  // Trains opt.clf_ensemble networks made by `make` (member k seeded from seed + 1000 k), saves
  // member k as member_file(stem, k) with header(k, best_epoch), logs their epochs to `log`, and
  // removes an earlier, larger ensemble's extra members.
  Classifier fit_classifier(const std::function<Network()>& make, const std::string& describe,
                            const SampleSet& x, const Buffer<int32_t>& labels,
                            const std::vector<int>& train, uint64_t seed, const std::string& stem,
                            const std::string& log,
                            const std::function<nlohmann::json(int, int)>& header);
  // --classifier linear: the class-balanced least-squares classifier (one member).
  Classifier train_linear(const DeviceFeatures& f, const Buffer<int32_t>& labels,
                          const std::vector<int>& train, const MlpConfig& cfg,
                          const Reading& reading);
  // The header of a feature classifier's checkpoint (member 0-based).
  nlohmann::json classifier_header(const MlpConfig& cfg, int views, int member,
                                   int best_epoch) const;
  // Deletes <stem>_{first+1}.ckpt, ... while they exist (members of an earlier, larger ensemble).
  void remove_members_from(const std::string& stem, int first) const;
  // <stem>.ckpt for the first member, <stem>_2.ckpt ... for the others.
  std::string member_file(const std::string& stem, int member) const;
  size_t latent_end_ = 0;
  std::map<int, std::unique_ptr<DeviceImages>> sized_data_;  // cells_at() sizes but --size
};

std::unique_ptr<Backend> open_backend(const Options& opt);
std::vector<Trainer*> members_of(const Classifier& c);

}  // namespace hep2::app
