// One run of the method in one run folder: its settings, the backend, the cells and their
// train/test split, and the steps the subcommands chain (train-ae -> extract -> train-clf ->
// eval). Each step returns what it makes (a trained DCAE, features, a fitted classifier, an
// evaluation) and writes its artefacts into the run folder; the method itself (hold-out slices,
// classifier fitting, probability means, scoring) is pipeline/'s.
#pragma once
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hep2/dist/communicator.h"
#include "hep2/pipeline/classifier_fit.h"
#include "hep2/pipeline/dcae_members.h"
#include "hep2/pipeline/evaluation.h"
#include "hep2/pipeline/resident_cells.h"
#include "hep2/pipeline/split.h"
#include "hep2/pipeline/trained_dcae.h"
#include "options.h"
#include "progress_line.h"

namespace hep2::app {

// Speeds of the last DCAE trained and extracted; seconds of all the run's classifiers together.
struct PhaseTimes {
  double train_ae_images_per_s = 0, extract_images_per_s = 0, train_clf_seconds = 0;
};

// What a run's training did, for metrics.json and the summary: how many cells each DCAE learnt
// from and for how long, and on what each classifier stopped.
struct TrainingRecord {
  size_t labelled_cells = 0, unlabelled_cells = 0;
  nlohmann::json dcae = nlohmann::json::array(), classifiers = nlohmann::json::array();
};

// Training was stopped on request after its state was saved; main() prints the message and
// exits with `code` (130 after a signal, 0 for --stop-after-steps).
struct Stopped : std::runtime_error {
  Stopped(int c, const std::string& m, bool whole = false)
      : std::runtime_error(m), code(c), whole_job(whole) {}
  int code;
  bool whole_job;  // every rank of the job stopped at the same step (data-parallel training)
};
// Set by the SIGINT/SIGTERM handler; training loops stop after their current step.
extern std::atomic<bool> g_stop_requested;

// What an autoencoder of a member learns: the cells, or their gradient magnitudes (the hybrid
// method's second DCAE, whose files carry "_grad" after the member's tag).
enum class AeInput { Images, GradientMagnitude };

std::unique_ptr<Backend> open_backend(const Options& opt);

class Workbench {
 public:
  // A command's own backend; load_data() or use_cells() gives it cells.
  Workbench(Options opt, std::string run_dir);
  // A run that shares another's backend and cells (the runs of `cv`), on its own split.
  Workbench(Options opt, std::string run_dir, const Workbench& shared, SplitIndices split);

  const Options opt;
  const std::string run_dir;
  std::string command = "run";  // the subcommand, for the resume hint
  Backend& backend() const { return *be_; }
  PhaseTimes times;

  std::string path(const std::string& name) const { return run_dir + "/" + name; }
  // Creates the run folder (once the data has loaded and the model is known to be buildable, so
  // a refused run leaves nothing behind) and writes config.json: the settings actually used.
  void save_config() const;

  // Loads (or synthesises) and preprocesses the cells once, uploads them, and splits them by the
  // data's own split column or a seeded stratified (grouped) split.
  void load_data();
  // Cells given by the caller (`classify`), preprocessed at --size from `source`.
  void use_cells(CellSource source);
  ResidentCells& cells() const { return *cells_; }
  const Dataset& data() const { return cells_->data(); }
  const SplitIndices& split() const { return split_; }
  // The training cells the classifiers learn from: split().train, or its --train-cells subset of
  // whole specimens (seeded by --seed).
  const std::vector<int>& labelled() const { return labelled_; }
  // The --train-cells subset of `train` (all of it when --train-cells is 0) for cells with these
  // classes and specimens.
  std::vector<int> labelled_subset(const std::vector<int>& train, const std::vector<int32_t>& labels,
                                   const std::vector<std::string>& groups) const;
  // The cells the classifier may self-train on, labels unused: with --unlabeled train, the
  // training cells outside the labelled subset; with 'test', the test cells.
  std::vector<int> unlabelled_subset(const std::vector<int>& train, const std::vector<int>& labelled,
                                     const std::vector<int>& test) const;
  // With --clf-self-train and --unlabeled PATH: f (the data's cells) with the PATH cells' features
  // of this reading appended as further cells, and the rows of those cells; otherwise f and none.
  // `test`: the evaluation's test cells (of the split the features were written with).
  std::vector<int> append_path_features(DeviceFeatures& f, const Reading& reading,
                                        const std::vector<int>& test);
  TrainingRecord record;
  PreprocessOptions preprocess_options(int size) const;
  const std::vector<std::string>& class_names() const { return class_names_; }

  DcaeConfig dcae_config() const;
  std::vector<DcaeMember> dcae_members() const;  // --dcae-ensemble of them
  std::vector<Reading> readings(const DcaeMember& member) const;  // one per --stats-sizes
  std::vector<Reading> readings() const;  // of every member, member by member
  MlpConfig mlp_config(int inputs, int classes) const;

  // Trains the autoencoder on split().train; checkpoints after every epoch (the last 3 kept).
  // With resume, continues from its checkpoint. Throws Stopped when interrupted (SIGINT/SIGTERM
  // or --stop-after-steps) after saving a checkpoint.
  TrainedDcae train_ae(bool resume, const DcaeMember& member, AeInput input = AeInput::Images);
  // Trains (or, with resume, continues) the member's autoencoders: both for --method hybrid.
  void train_member(bool resume, const DcaeMember& member);
  // The member's trained DCAE from its checkpoint, built to read inputs of `size` (0: --size;
  // the checkpoint must have been trained at --size).
  TrainedDcae load_ae(const DcaeMember& member, AeInput input = AeInput::Images, int size = 0) const;
  // The reading's features of the configured method (dcae, or hybrid: both latents side by
  // side), from the member's trained autoencoders.
  DeviceFeatures method_features(const Reading& reading);
  // features<tag>.npy; the first reading also writes labels.npy, split.npy and classes.json.
  void save_features(const DeviceFeatures& f, const Reading& reading) const;
  // Fits the classifier on the training rows of f (standardising f in place) and saves it:
  // mlp<tag>.ckpt (with the scaler) and an MLP ensemble's other members, mlp<tag>_2.ckpt ...,
  // with their epochs in clf_log<tag>.csv. The classes of f's rows are given on the device (for
  // the networks' batches) and on the host (for the early-stopping slices and least squares).
  // `unlabelled`: rows of f the least squares may self-train on (--clf-self-train). With
  // --clf-augment the photometric copies of the training cells are appended to f first.
  FittedClassifier train_clf(DeviceFeatures& f, const Buffer<int32_t>& device_labels,
                             const std::vector<int32_t>& labels, const std::vector<int>& train,
                             const std::vector<int>& unlabelled, const Reading& reading);
  // The reading's saved classifier, mlp<tag>.ckpt and its ensemble, with its scaler; `inputs` and
  // `classes` (0: any) must match it. Takes the class names from it when none are known.
  FittedClassifier load_clf(int inputs, int classes, const Reading& reading);
  // Loads the reading's classifier, standardises f in place, and returns its probabilities of
  // `rows`.
  std::vector<float> reading_probabilities(DeviceFeatures& f, const Reading& reading,
                                           const std::vector<int>& rows);
  // The supervised baseline: the same encoder and MLP trained end to end with labels on the
  // images (augmented like the DCAE): supervised.ckpt, clf_log.csv.
  FittedClassifier train_supervised(const std::vector<int>& train);
  // The whole configured method (--method) on split().train, evaluated on split().test. The DCAE
  // members are spread over the ranks of `team` (dist/units.h) and evaluated on its rank 0; the
  // other ranks get an empty Evaluation.
  Evaluation run_method(bool save_features, dist::Communicator& team = dist::alone());
  // Scores the ensemble's class probabilities of `rows` against `truth` (pipeline/evaluation.h)
  // and writes metrics.json, confusion.png and the scored probabilities (test_probabilities.npy,
  // float32 [DCAE members, readings, rows, classes]; test_labels.npy; test_rows.npy, each row's
  // index in the data's cell order).
  Evaluation evaluate(const std::vector<ProbabilityMean>& members, const std::vector<int>& rows,
                      const std::vector<int32_t>& truth);
  // Class names (and, for the classifier steps without the data, the cells' specimens) read from
  // a run folder's classes.json / groups.json.
  void set_class_names(std::vector<std::string> names) { class_names_ = std::move(names); }
  void set_groups(std::vector<std::string> groups) { groups_ = std::move(groups); }

 private:
  std::string ae_file(const DcaeMember& member, AeInput input) const;
  // The cells an autoencoder learns from: the labelled ones and, with --unlabeled, the others
  // (the rest of the training cells, or cells of another source appended after the data's).
  struct AeCells {
    const DeviceImages* images;
    std::vector<int> rows;
    size_t unlabelled = 0;
  };
  AeCells ae_training_cells(AeInput input);
  // The cells of --unlabeled PATH, loaded on first use (never the data's `test` cells, those of
  // the evaluation, unless --transductive).
  ResidentCells& path_cells(const std::vector<int>& test);
  // With --clf-augment (and fewer `train` cells than --clf-augment-below, where given): f with
  // the `train` cells' features of this reading under each photometric change appended, and
  // which cell each new row copies; otherwise f and none.
  // Reads the cells again (loading them first when the command has not).
  CopiedRows append_copies(DeviceFeatures& f, const Reading& reading, const std::vector<int>& train);
  // --epochs, raised on small data to reach --ae-min-steps.
  int ae_epochs(size_t cells) const;
  const DeviceImages& ae_cells(AeInput input) const;
  double ae_lr(AeInput input) const;  // --lr, or --grad-lr for the gradient DCAE
  FeatureOptions feature_options() const;
  DeviceFeatures extract(const TrainedDcae& ae, const DeviceImages& images);
  ClassifierSettings classifier_settings() const;
  // Says which cells each member of a classifier fits and stops on.
  MemberStart announce_members(const std::string& describe) const;
  // Saves the fitted networks as <stem>.ckpt, <stem>_2.ckpt, ... with header(k, best_epoch), their
  // epochs in `log`, and removes an earlier, larger ensemble's extra members.
  void save_networks(const FittedClassifier& c, const std::string& stem, const std::string& log,
                     const std::function<nlohmann::json(int, int)>& header) const;
  nlohmann::json classifier_header(const MlpConfig& cfg, const FittedClassifier& c, int views,
                                   int member, int best_epoch) const;
  void remove_members_from(const std::string& stem, int first) const;
  // Adds how each member of c (saved as <stem>...) fitted and stopped to `record`.
  void record_classifier(const FittedClassifier& c, const std::string& stem);
  std::string member_file(const std::string& stem, int member) const;
  void write_reconstructions(const TrainedDcae& ae, const DcaeMember& member, AeInput input) const;
  void write_metrics(const Evaluation& e, const std::vector<ProbabilityMean>& members) const;
  // Group names of every cell: the data's, or groups.json's for the classifier steps.
  const std::vector<std::string>& groups() const;

  std::shared_ptr<Backend> be_;
  std::shared_ptr<ResidentCells> cells_;
  std::shared_ptr<DeviceImages> with_unlabeled_;  // the data's cells, then --unlabeled's
  std::shared_ptr<ResidentCells> path_cells_;     // the cells of --unlabeled PATH alone
  SplitIndices split_;
  std::vector<int> labelled_;
  std::vector<std::string> class_names_, groups_;
  bool few_cells_noted_ = false;  // the note on the paper's MLP and few labelled cells, said once
  mutable ProgressLine progress_;
};

}  // namespace hep2::app
