// The classifier's training loop allocates nothing per epoch: its buffers, and those of the
// validation pass it runs every epoch, are made once (on the GPU every cudaFree synchronises the
// device). Measured with the backend's count of alloc() calls: training for 7 epochs must allocate
// exactly as often as training for 2.
#include <gtest/gtest.h>

#include <vector>

#include "hep2/core/arena.h"
#include "hep2/core/rng.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/training.h"

namespace hep2 {
namespace {

size_t allocations_of_training(int epochs) {
  auto be = make_cpu_backend(1);
  const int cells = 60, dim = 16, classes = 3;
  Rng rng(5);
  std::vector<float> x(size_t(cells) * dim);
  for (float& v : x) v = float(rng.uniform(-1, 1));
  std::vector<int32_t> y(cells);
  for (int i = 0; i < cells; ++i) y[size_t(i)] = i % classes;
  Buffer<float> features(*be, x.size());
  Buffer<int32_t> labels(*be, y.size());
  be->upload(features.data(), x.data(), features.bytes());
  be->upload(labels.data(), y.data(), labels.bytes());
  MlpConfig cfg;
  cfg.inputs = dim;
  cfg.hidden = {8};
  cfg.classes = classes;
  Trainer mlp(*be, build_mlp(cfg), 16, OptimizerConfig{});
  mlp.init(InitScheme::Torch, 1);
  std::vector<int> train, validation;
  for (int i = 0; i < cells; ++i) (i % 4 ? train : validation).push_back(i);
  ClfTrainOptions opt;
  opt.epochs = epochs;
  opt.batch = 16;
  opt.patience = 1000;  // every epoch runs
  const SampleSet set{features.data(), Shape4{1, dim, 1, 1}, cells, false, 1, true};
  const size_t before = be->allocation_count();
  ClfTrainResult r = train_classifier(mlp, set, labels, train, validation, opt);
  EXPECT_EQ(int(r.epochs.size()), epochs);
  return be->allocation_count() - before;
}

TEST(AllocationFreeEpochs, ClassifierTrainingWithValidationAllocatesTheSameForAnyEpochCount) {
  const size_t two = allocations_of_training(2), seven = allocations_of_training(7);
  EXPECT_GT(two, 0u);  // the loop's buffers are counted
  EXPECT_EQ(seven, two) << "training allocates per epoch";
}

}  // namespace
}  // namespace hep2
