// The method's steps as functions of their inputs, without the binary: the early-stopping slices
// (whole specimens, blocks of a class, random; never a test cell), the probability mean of an
// ensemble, the figures of an ensemble, its members and readings, and classifier fitting (a
// network ensemble's members differ and are deterministic; least squares separates blobs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/pipeline/classifier_fit.h"
#include "hep2/pipeline/evaluation.h"
#include "hep2/pipeline/holdout.h"
#include "hep2/pipeline/probability_mean.h"

namespace hep2 {
namespace {

// Cells of 3 classes from specimens of ten cells each (stored together), `per_class` specimens a
// class.
struct Cells {
  std::vector<int32_t> labels;
  std::vector<std::string> groups;
  explicit Cells(int per_class = 10) {
    for (int s = 0; s < 3 * per_class; ++s)
      for (int i = 0; i < 10; ++i) {
        labels.push_back(s / per_class);
        groups.push_back("specimen" + std::to_string(s));
      }
  }
};

std::vector<int> range(int from, int to) {
  std::vector<int> v;
  for (int i = from; i < to; ++i) v.push_back(i);
  return v;
}

void expect_partition(const HoldoutSplit& s, const std::vector<int>& train) {
  std::vector<int> all = s.fit;
  all.insert(all.end(), s.val.begin(), s.val.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, train);
  EXPECT_TRUE(std::is_sorted(s.fit.begin(), s.fit.end()));
  EXPECT_TRUE(std::is_sorted(s.val.begin(), s.val.end()));
}

TEST(Holdout, SpecimenModeHoldsOutWholeSpecimens) {
  Cells c;  // 30 specimens, 300 cells
  const std::vector<int> train = range(0, 300);
  const HoldoutOptions o{0.1, Holdout::Specimen};
  const HoldoutSplit s = hold_out_validation(train, c.labels, c.groups, 3, o, 0, 7);
  expect_partition(s, train);
  EXPECT_TRUE(s.off.empty()) << s.off;
  std::set<std::string> val_groups, fit_groups;
  for (int i : s.val) val_groups.insert(c.groups[i]);
  for (int i : s.fit) fit_groups.insert(c.groups[i]);
  for (const std::string& g : val_groups) EXPECT_EQ(fit_groups.count(g), 0u) << g;
  EXPECT_EQ(s.val.size(), 30u);  // three specimens reach the tenth
  EXPECT_EQ(s.val_groups, 3u);
  // Deterministic, and other members take other specimens.
  EXPECT_EQ(hold_out_validation(train, c.labels, c.groups, 3, o, 0, 7).val, s.val);
  std::set<std::vector<int>> slices;
  for (int m = 0; m < 6; ++m) slices.insert(hold_out_validation(train, c.labels, c.groups, 3, o, m, 7).val);
  EXPECT_GT(slices.size(), 1u);
}

// Early stopping must not rest on one or two specimens: then there is no slice, and `off` says why.
TEST(Holdout, TooFewSpecimensToHoldOutMeansNoEarlyStopping) {
  Cells c(2);  // 6 specimens, 60 cells: a tenth is one specimen
  const std::vector<int> train = range(0, 60);
  const HoldoutSplit s = hold_out_validation(train, c.labels, c.groups, 3, {0.1, Holdout::Specimen}, 0, 7);
  EXPECT_EQ(s.fit, train);
  EXPECT_TRUE(s.val.empty());
  EXPECT_NE(s.off.find("rest on 1 specimen (fewer than 3)"), std::string::npos) << s.off;
  // Without groups: the last cells of a class stand for its specimens; 2 of them are too few.
  const HoldoutSplit b = hold_out_validation(train, c.labels, {}, 3, {0.1, Holdout::Specimen}, 0, 7);
  EXPECT_EQ(b.fit, train);
  EXPECT_NE(b.off.find("2 cells of a class (fewer than 30"), std::string::npos) << b.off;
  // A random slice does not rest on specimens: it stays.
  const HoldoutSplit r = hold_out_validation(train, c.labels, c.groups, 3, {0.1, Holdout::Random}, 0, 7);
  EXPECT_EQ(r.val.size(), 6u);
  EXPECT_TRUE(r.off.empty());
}

TEST(Holdout, WithoutGroupsTheLastCellsOfEachClassAndTheMembersTakeOtherBlocks) {
  Cells c(40);  // 400 cells a class
  const std::vector<std::string> none;
  const std::vector<int> train = range(0, 1200);
  const HoldoutOptions o{0.1, Holdout::Specimen};
  const HoldoutSplit s0 = hold_out_validation(train, c.labels, none, 3, o, 0, 7);
  expect_partition(s0, train);
  EXPECT_TRUE(s0.off.empty()) << s0.off;
  std::vector<int> last;  // the last 40 of each class
  for (int k = 0; k < 3; ++k)
    for (int i = 400 * k + 360; i < 400 * (k + 1); ++i) last.push_back(i);
  EXPECT_EQ(s0.val, last);
  const HoldoutSplit s1 = hold_out_validation(train, c.labels, none, 3, o, 1, 7);
  std::vector<int> before;  // member 2 takes the block before
  for (int k = 0; k < 3; ++k)
    for (int i = 400 * k + 320; i < 400 * k + 360; ++i) before.push_back(i);
  EXPECT_EQ(s1.val, before);
  const HoldoutSplit r = hold_out_validation(train, c.labels, c.groups, 3, {0.1, Holdout::Random}, 0, 7);
  expect_partition(r, train);
  EXPECT_EQ(r.val.size(), 120u);  // stratified: forty per class
  for (int k = 0; k < 3; ++k)
    EXPECT_EQ(std::count_if(r.val.begin(), r.val.end(), [&](int i) { return c.labels[i] == k; }), 40);
  const HoldoutSplit off = hold_out_validation(train, c.labels, c.groups, 3, {0.0, Holdout::Specimen}, 0, 7);
  EXPECT_EQ(off.fit, train);
  EXPECT_TRUE(off.val.empty());
  EXPECT_TRUE(off.off.empty());
  // Only training cells are ever held out.
  const std::vector<int> part = {0, 1, 2, 400, 401, 402, 800, 801, 802, 803};
  expect_partition(hold_out_validation(part, c.labels, c.groups, 3, {0.3, Holdout::Random}, 0, 1), part);
}

TEST(ProbabilityMean, MembersWeighAlikeWhateverTheirReadings) {
  ProbabilityMean a, b;
  a.add({1.f, 0.f});
  a.add({0.f, 1.f});  // member a: 0.5, 0.5
  b.add({1.f, 0.f});  // member b: 1, 0
  EXPECT_EQ(a.mean(), (std::vector<float>{0.5f, 0.5f}));
  EXPECT_EQ(mean_of_members({a, b}), (std::vector<float>{0.75f, 0.25f}));
}

TEST(Evaluation, FiguresOfTheEnsembleItsSpecimensMembersAndReadings) {
  // Four test cells of two classes from two specimens; two DCAEs read at two sizes.
  const std::vector<int> rows = {0, 1, 2, 3};
  const std::vector<int32_t> truth = {0, 0, 1, 1};
  const std::vector<std::string> groups = {"s0", "s0", "s1", "s1"};
  ProbabilityMean m1, m2;
  m1.add({0.9f, 0.1f, 0.8f, 0.2f, 0.4f, 0.6f, 0.3f, 0.7f});  // all right
  m1.add({0.9f, 0.1f, 0.4f, 0.6f, 0.4f, 0.6f, 0.3f, 0.7f});  // cell 1 wrong
  m2.add({0.2f, 0.8f, 0.2f, 0.8f, 0.1f, 0.9f, 0.1f, 0.9f});  // class 1 everywhere
  m2.add({0.2f, 0.8f, 0.2f, 0.8f, 0.1f, 0.9f, 0.1f, 0.9f});
  EnsembleLayout layout{{5, 6}, {64, 48}, true};
  const Evaluation e = evaluate_ensemble({m1, m2}, layout, rows, truth, groups, 2);
  // Ensemble: cell 0 (0.9 + 0.2) / 2 = 0.55 for class 0; cell 1 (0.6 + 0.2) / 2 = 0.4: class 1.
  EXPECT_EQ(e.predicted, (std::vector<int32_t>{0, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(e.cells.accuracy, 0.75);
  ASSERT_TRUE(e.groups.has_value());
  EXPECT_EQ(e.groups->count, 2u);
  ASSERT_EQ(e.members.size(), 2u);
  EXPECT_EQ(e.members[0].seed, 5u);
  EXPECT_DOUBLE_EQ(e.members[0].metrics.accuracy, 1.0);  // its mean gets cell 1 right (0.6)
  EXPECT_DOUBLE_EQ(e.members[1].metrics.accuracy, 0.5);
  ASSERT_EQ(e.readings.size(), 4u);
  EXPECT_EQ(e.readings[1].size, 48);
  EXPECT_DOUBLE_EQ(e.readings[0].metrics.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(e.readings[1].metrics.accuracy, 0.75);
  // A test cell without a specimen: no specimen figures. One DCAE: no member figures.
  const Evaluation one = evaluate_ensemble({m1}, EnsembleLayout{{5}, {64, 48}, true}, rows, truth,
                                           {"s0", "", "s1", "s1"}, 2);
  EXPECT_FALSE(one.groups.has_value());
  EXPECT_TRUE(one.members.empty());
  EXPECT_EQ(one.readings.size(), 2u);
}

// Blobs in 4 features, 3 classes, 30 cells each, for the classifiers.
struct Features {
  std::vector<float> x;
  std::vector<int32_t> labels;
  std::vector<std::string> groups;
  Features() {
    Rng rng(3);
    for (int i = 0; i < 90; ++i) {
      const int k = i / 30;
      for (int j = 0; j < 4; ++j) x.push_back(float(rng.normal() + (j == k ? 4.0 : 0.0)));
      labels.push_back(k);
    }
  }
};

DeviceFeatures upload(Backend& be, const Features& d) {
  DeviceFeatures f;
  f.count = int(d.labels.size());
  f.dim = 4;
  f.values = Buffer<float>(be, d.x.size());
  be.upload(f.values.data(), d.x.data(), d.x.size() * sizeof(float));
  return f;
}

// The blobs on a CPU backend, their labels on it, two cells in three for training.
struct BlobFit {
  std::unique_ptr<Backend> be = make_cpu_backend(1);
  const Features d;
  Buffer<int32_t> labels{*be, d.labels.size()};
  const CellLabels cells{d.labels, d.groups, 3};
  std::vector<int> train, test;
  MlpConfig cfg;
  BlobFit() {
    be->upload(labels.data(), d.labels.data(), d.labels.size() * sizeof(int32_t));
    for (int i = 0; i < 90; ++i) (i % 3 ? train : test).push_back(i);
    cfg.inputs = 4;
    cfg.classes = 3;
  }
};

TEST(ClassifierFit, LeastSquaresSeparatesBlobsAndNetworkMembersDifferDeterministically) {
  BlobFit blob;
  auto& be = blob.be;
  const Features& d = blob.d;
  const Buffer<int32_t>& labels = blob.labels;
  const CellLabels& cells = blob.cells;
  const std::vector<int>& train = blob.train;
  const std::vector<int>& test = blob.test;
  MlpConfig& cfg = blob.cfg;
  cfg.hidden = {8};
  ClassifierSettings s;
  s.kind = ClassifierKind::Linear;
  DeviceFeatures f = upload(*be, d);
  const FittedClassifier lin = fit_feature_classifier(*be, f, labels, cells, train, {}, {}, cfg, s, 1);
  ASSERT_EQ(lin.members.size(), 1u);
  EXPECT_GT(lin.temperature, 0);
  EXPECT_EQ(lin.training_rows, train.size());
  EXPECT_EQ(lin.scaler.mean.size(), 4u);
  const std::vector<int32_t> pred =
      argmax_rows(predict_probabilities(lin.nets(), samples_of(f), test), 3);
  int right = 0;
  for (size_t i = 0; i < test.size(); ++i) right += pred[i] == d.labels[size_t(test[i])];
  EXPECT_GE(right, 28) << "of 30";

  s.kind = ClassifierKind::Mlp;
  s.network.holdout.mode = Holdout::Random;  // 60 cells: too few for a specimen hold-out
  s.network.ensemble = 2;
  s.network.train.epochs = 3;
  s.network.train.batch = 16;
  std::vector<size_t> started;
  auto fit = [&] {
    DeviceFeatures g = upload(*be, d);
    return fit_feature_classifier(*be, g, labels, cells, train, {}, {}, cfg, s, 9,
                                  [&](int, const HoldoutSplit& h) { started.push_back(h.val.size()); });
  };
  const FittedClassifier a = fit(), b = fit();
  ASSERT_EQ(a.members.size(), 2u);
  EXPECT_EQ(started.size(), 4u);
  EXPECT_GT(started[0], 0u);
  EXPECT_EQ(a.temperature, 0);
  const std::vector<float> a0 = a.members[0].net->block().get_params(*be),
                           a1 = a.members[1].net->block().get_params(*be),
                           b0 = b.members[0].net->block().get_params(*be);
  EXPECT_EQ(a0, b0);  // same seed, same bits
  EXPECT_NE(a0, a1);  // members differ in seed and slice
  EXPECT_EQ(a.members[0].epochs.size(), 3u);
}

// Photometric copies (feature augmentation) are labelled rows of their cell: exact duplicates of
// every training cell change nothing (the ridge is relative to the row count, each fold of the
// ridge's cross-validation holds a cell and its copy together, so every fold's fit and score is
// the same); copies that differ move the fit; a copy of a non-training cell is refused.
TEST(ClassifierFit, PhotometricCopiesAreLabelledRowsOfTheirCells) {
  BlobFit t;
  ClassifierSettings s;
  s.kind = ClassifierKind::Linear;
  s.least_squares.ridge = 0;  // chosen by cross-validation, so the folds of the copies matter
  s.least_squares.balance = true;
  // f, then the training rows again (shifted by `shift` in every feature), as rows 90.. .
  auto with_copies = [&](float shift, CopiedRows& copies) {
    Features e = t.d;
    for (size_t k = 0; k < t.train.size(); ++k) {
      for (int j = 0; j < 4; ++j)
        e.x.push_back(t.d.x[size_t(t.train[k]) * 4 + size_t(j)] + shift * float(j % 2));
      e.labels.push_back(-1);  // a copy's label comes from its cell, never from its own row
      copies.rows.push_back(90 + int(k));
      copies.of.push_back(t.train[k]);
    }
    return upload(*t.be, e);
  };
  DeviceFeatures f = upload(*t.be, t.d);
  const FittedClassifier plain =
      fit_feature_classifier(*t.be, f, t.labels, t.cells, t.train, {}, {}, t.cfg, s, 1);
  CopiedRows same;
  DeviceFeatures g = with_copies(0.0f, same);
  const FittedClassifier doubled =
      fit_feature_classifier(*t.be, g, t.labels, t.cells, t.train, {}, same, t.cfg, s, 1);
  EXPECT_EQ(doubled.ridge, plain.ridge);
  EXPECT_EQ(doubled.training_rows, 2 * plain.training_rows);
  EXPECT_EQ(doubled.members[0].copied_rows, t.train.size());
  EXPECT_EQ(plain.members[0].copied_rows, 0u);
  const std::vector<float> w_plain = plain.members[0].net->block().get_params(*t.be),
                           w_doubled = doubled.members[0].net->block().get_params(*t.be);
  ASSERT_EQ(w_plain.size(), w_doubled.size());
  for (size_t i = 0; i < w_plain.size(); ++i) EXPECT_NEAR(w_doubled[i], w_plain[i], 1e-4) << i;
  EXPECT_NEAR(doubled.temperature, plain.temperature, 1e-3 * plain.temperature);

  CopiedRows shifted;
  DeviceFeatures h = with_copies(2.0f, shifted);
  const FittedClassifier moved =
      fit_feature_classifier(*t.be, h, t.labels, t.cells, t.train, {}, shifted, t.cfg, s, 1);
  const std::vector<float> w_moved = moved.members[0].net->block().get_params(*t.be);
  double change = 0;
  for (size_t i = 0; i < w_plain.size(); ++i) change += std::abs(w_moved[i] - w_plain[i]);
  EXPECT_GT(change, 1e-2);

  CopiedRows stray;
  DeviceFeatures k = with_copies(0.0f, stray);
  stray.of[0] = t.test[0];
  EXPECT_THROW(fit_feature_classifier(*t.be, k, t.labels, t.cells, t.train, {}, stray, t.cfg, s, 1),
               Error);
}

// The MLP learns from the copies of the cells it fits, never from copies of the cells it stops
// on (that would score it on cells it has learned), and takes each copy's label from its cell.
TEST(ClassifierFit, NetworksLearnFromCopiesOfTheCellsTheyFitOnly) {
  BlobFit t;
  t.cfg.hidden = {8};
  ClassifierSettings s;
  s.kind = ClassifierKind::Mlp;
  s.network.holdout.mode = Holdout::Random;
  s.network.ensemble = 2;
  s.network.train.epochs = 30;
  s.network.train.batch = 16;
  s.network.optimizer.lr = 1e-2f;
  Features e = t.d;
  CopiedRows copies;
  for (size_t k = 0; k < t.train.size(); ++k) {
    for (int j = 0; j < 4; ++j) e.x.push_back(1.5f * t.d.x[size_t(t.train[k]) * 4 + size_t(j)]);
    e.labels.push_back(-1);  // not read: the copy's label is its cell's
    copies.rows.push_back(90 + int(k));
    copies.of.push_back(t.train[k]);
  }
  DeviceFeatures f = upload(*t.be, e);
  const FittedClassifier c =
      fit_feature_classifier(*t.be, f, t.labels, t.cells, t.train, {}, copies, t.cfg, s, 3);
  ASSERT_EQ(c.members.size(), 2u);
  for (const FittedMember& m : c.members) {
    EXPECT_GT(m.cells.val.size(), 0u);
    EXPECT_EQ(m.cells.fit.size() + m.cells.val.size(), t.train.size());
    EXPECT_EQ(m.copied_rows, m.cells.fit.size());  // every fitted cell's copy, no stopping cell's
  }
  const std::vector<int32_t> pred =
      argmax_rows(predict_probabilities(c.nets(), samples_of(f), t.test), 3);
  int right = 0;
  for (size_t i = 0; i < t.test.size(); ++i) right += pred[i] == t.d.labels[size_t(t.test[i])];
  EXPECT_GE(right, 27) << "of 30";

  DeviceFeatures g = upload(*t.be, t.d);
  const FittedClassifier plain =
      fit_feature_classifier(*t.be, g, t.labels, t.cells, t.train, {}, {}, t.cfg, s, 3);
  EXPECT_EQ(plain.members[0].copied_rows, 0u);
  EXPECT_NE(plain.members[0].net->block().get_params(*t.be),
            c.members[0].net->block().get_params(*t.be));
}

}  // namespace
}  // namespace hep2
