// An ensemble of classifiers predicts the mean of its members' probabilities.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/error.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/training.h"
#include "support/random.h"

namespace hep2 {
namespace {

TEST(Ensemble, PredictsTheMeanOfItsMembers) {
  auto be = make_cpu_backend(1);
  MlpConfig cfg;
  cfg.inputs = 10;
  cfg.hidden = {6};
  cfg.classes = 4;
  std::vector<std::unique_ptr<Trainer>> owned;
  std::vector<Trainer*> members;
  for (uint64_t seed : {1, 2, 3}) {
    owned.push_back(std::make_unique<Trainer>(*be, build_mlp(cfg), 8, OptimizerConfig{}));
    owned.back()->init(InitScheme::Torch, seed);
    members.push_back(owned.back().get());
  }
  const int cells = 11;
  const std::vector<float> x = test::random_floats(4, size_t(cells) * 10, -2.0, 2.0);
  Buffer<float> dx(*be, x.size());
  be->upload(dx.data(), x.data(), x.size() * sizeof(float));
  SampleSet set{dx.data(), Shape4{1, 10, 1, 1}, cells, false, 1, true};
  const std::vector<int> rows = {10, 0, 4, 4, 7};

  std::vector<float> mean = predict_probabilities(members, set, rows);
  std::vector<float> want(rows.size() * 4, 0.f);
  std::vector<std::vector<float>> each;
  for (Trainer* m : members) {
    each.push_back(predict_probabilities(*m, set, rows));
    for (size_t i = 0; i < want.size(); ++i) want[i] += each.back()[i] / 3.f;
  }
  ASSERT_EQ(mean.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(mean[i], want[i], 1e-6) << i;
  EXPECT_NE(each[0], each[1]);  // differently initialised members do disagree
  // One member is just that member.
  EXPECT_EQ(predict_probabilities(std::vector<Trainer*>{members[1]}, set, rows), each[1]);
  EXPECT_THROW(predict_probabilities(std::vector<Trainer*>{}, set, rows), Error);
}

}  // namespace
}  // namespace hep2
