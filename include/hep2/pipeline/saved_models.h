// The method's trained models read back from their checkpoint files, each checked against what
// the run expects (its kind, input size, feature and class counts, the members' shared scaling)
// before a value is restored, so that a wrong or stale file fails with its name and a remedy
// instead of a model that silently reads the cells another way.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/nn/models.h"
#include "hep2/nn/optimizer.h"
#include "hep2/pipeline/classifier_fit.h"
#include "hep2/pipeline/trained_dcae.h"
#include "hep2/pipeline/training.h"

namespace hep2 {

// What the caller's user runs to make the files again: the errors end with it
// (e.g. "hep2 train-clf --out runs/a").
struct Remedy {
  std::string train_command;
};

struct DcaeFileExpectation {
  int trained_size = 0;  // the input size the run trained at (--size): another is refused
  int read_size = 0;     // rebuilt to read cells at this size (0: the trained size)
  int batch = 64;
  OptimizerConfig optimizer;  // of the rebuilt trainer (unused when it only reads cells)
};

// A DCAE checkpoint as a network ready to read cells.
TrainedDcae load_dcae(Backend& be, const std::string& file, const DcaeFileExpectation& expect,
                      const Remedy& remedy);

// Continues a DCAE's training from its checkpoint: restores net (built for `config`) and returns
// where its training stood. Refuses a checkpoint of another model or kind.
AeTrainState resume_dcae(const std::string& file, Trainer& net, const DcaeConfig& config);

struct ClassifierFileExpectation {
  int inputs = 0;   // features per cell (0: any)
  int classes = 0;  // classes of the data (0: any)
  int batch = 64;
  OptimizerConfig optimizer;
};

struct SavedClassifier {
  FittedClassifier fitted;  // members, scaler and temperature (the training record is not kept)
  std::vector<std::string> class_names;  // as the checkpoint names them (empty if it does not)
};

// A feature classifier from its member files: member_file(0) first, whose header says how many
// members there are; every member must share its scaler.
SavedClassifier load_classifier(Backend& be, const std::function<std::string(int)>& member_file,
                                const ClassifierFileExpectation& expect, const Remedy& remedy);

}  // namespace hep2
