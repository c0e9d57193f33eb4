// Tests of the metrics (confusion matrix, accuracy, MCA, per-class scores), the group vote, and
// the text outputs: metrics JSON and table, CSV helpers, predictions CSV/JSON. Every expected
// value is worked out by hand from the definitions in the comments, not taken from the code.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "data_fixtures.h"
#include "hep2/core/error.h"
#include "hep2/pipeline/manifest.h"
#include "hep2/report/csv.h"
#include "hep2/report/group_vote.h"
#include "hep2/report/metrics.h"
#include "hep2/report/predictions.h"

namespace hep2 {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

// Pairs (truth, predicted) laid out from a confusion matrix, interleaved across rows so that the
// order of samples differs from the order of the matrix.
void pairs_from_confusion(const std::vector<std::vector<int>>& cm, std::vector<int32_t>& truth,
                          std::vector<int32_t>& predicted) {
  std::vector<std::vector<int>> left = cm;
  bool any = true;
  while (any) {
    any = false;
    for (size_t t = cm.size(); t-- > 0;)
      for (size_t p = 0; p < cm.size(); ++p)
        if (left[t][p] > 0) {
          --left[t][p];
          truth.push_back(static_cast<int32_t>(t));
          predicted.push_back(static_cast<int32_t>(p));
          any = true;
          break;
        }
  }
}

double f1_of(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }

// ---- compute_metrics ---------------------------------------------------------------------------

TEST(Metrics, ThreeClassKnownConfusion) {
  // rows truth, columns predicted
  const std::vector<std::vector<int>> cm = {{3, 1, 0}, {1, 2, 1}, {0, 0, 2}};
  std::vector<int32_t> truth, predicted;
  pairs_from_confusion(cm, truth, predicted);
  ASSERT_EQ(truth.size(), 10u);
  const Metrics m = compute_metrics(truth, predicted, 3);

  EXPECT_EQ(m.classes, 3);
  EXPECT_EQ(m.count, 10u);
  for (size_t t = 0; t < 3; ++t)
    for (size_t p = 0; p < 3; ++p) EXPECT_EQ(m.confusion[t][p], cm[t][p]) << t << "," << p;
  EXPECT_EQ(m.support, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(m.predicted, (std::vector<int64_t>{4, 3, 3}));
  EXPECT_DOUBLE_EQ(m.accuracy, 7.0 / 10.0);  // diagonal 3 + 2 + 2 of 10
  const double recall[] = {3.0 / 4, 2.0 / 4, 2.0 / 2};
  const double precision[] = {3.0 / 4, 2.0 / 3, 2.0 / 3};
  for (int c = 0; c < 3; ++c) {
    EXPECT_DOUBLE_EQ(m.recall[c], recall[c]) << c;
    EXPECT_DOUBLE_EQ(m.precision[c], precision[c]) << c;
    EXPECT_DOUBLE_EQ(m.f1[c], f1_of(precision[c], recall[c])) << c;
  }
  EXPECT_DOUBLE_EQ(m.mca, (0.75 + 0.5 + 1.0) / 3);
}

TEST(Metrics, ClassNeverPredictedHasZeroPrecision) {
  // class 2 is never predicted: precision 0 by convention (not NaN), recall 0, F1 0.
  const std::vector<int32_t> truth = {0, 0, 1, 1, 2, 2};
  const std::vector<int32_t> predicted = {0, 0, 0, 1, 0, 1};
  const Metrics m = compute_metrics(truth, predicted, 3);
  EXPECT_EQ(m.predicted, (std::vector<int64_t>{4, 2, 0}));
  EXPECT_DOUBLE_EQ(m.precision[2], 0.0);
  EXPECT_DOUBLE_EQ(m.recall[2], 0.0);
  EXPECT_DOUBLE_EQ(m.f1[2], 0.0);
  EXPECT_DOUBLE_EQ(m.precision[0], 2.0 / 4);
  EXPECT_DOUBLE_EQ(m.recall[0], 1.0);
  EXPECT_DOUBLE_EQ(m.precision[1], 1.0 / 2);
  EXPECT_DOUBLE_EQ(m.recall[1], 1.0 / 2);
  EXPECT_DOUBLE_EQ(m.f1[0], f1_of(0.5, 1.0));
  EXPECT_DOUBLE_EQ(m.accuracy, 3.0 / 6);
  EXPECT_DOUBLE_EQ(m.mca, (1.0 + 0.5 + 0.0) / 3);  // class 2 is in the truth: its 0 counts
}

TEST(Metrics, ClassAbsentFromTruthIsLeftOutOfMca) {
  const std::vector<int32_t> truth = {0, 0, 1, 1};
  const std::vector<int32_t> predicted = {0, 2, 1, 1};
  const Metrics m = compute_metrics(truth, predicted, 3);
  EXPECT_EQ(m.support[2], 0);
  EXPECT_DOUBLE_EQ(m.recall[2], 0.0);
  EXPECT_DOUBLE_EQ(m.precision[2], 0.0);  // predicted once, never right
  EXPECT_DOUBLE_EQ(m.recall[0], 0.5);
  EXPECT_DOUBLE_EQ(m.recall[1], 1.0);
  EXPECT_DOUBLE_EQ(m.mca, (0.5 + 1.0) / 2);  // over the two classes present, not three
  EXPECT_DOUBLE_EQ(m.accuracy, 3.0 / 4);
}

TEST(Metrics, MajorityGuesserHasHighAccuracyButChanceMca) {
  // 90 samples of class 0, 10 of class 1, everything predicted 0.
  std::vector<int32_t> truth(90, 0), predicted(100, 0);
  truth.insert(truth.end(), 10, 1);
  const Metrics m = compute_metrics(truth, predicted, 2);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.9);
  EXPECT_DOUBLE_EQ(m.mca, (1.0 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(m.precision[0], 90.0 / 100);
  EXPECT_DOUBLE_EQ(m.f1[1], 0.0);
}

TEST(Metrics, RejectsBadInput) {
  EXPECT_THROW(compute_metrics({0, 1}, {0}, 2), Error);
  EXPECT_THROW(compute_metrics({}, {}, 2), Error);
  EXPECT_THROW(compute_metrics({0}, {0}, 0), Error);
  try {
    compute_metrics({0, 1, -1}, {0, 1, 1}, 2);
    FAIL() << "a negative true label was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("index 2"), std::string::npos) << e.what();
  }
  try {
    compute_metrics({0, 1}, {2, 1}, 2);
    FAIL() << "a predicted label == classes was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("predicted label 2"), std::string::npos) << e.what();
  }
}

// ---- metrics JSON and table
// ----------------------------------------------------------------------

const std::vector<std::string> kThreeNames = {"homogeneous", "coarse speckled", "nucleolar"};

Metrics three_class_metrics() {
  std::vector<int32_t> truth, predicted;
  pairs_from_confusion({{3, 1, 0}, {1, 2, 1}, {0, 0, 2}}, truth, predicted);
  return compute_metrics(truth, predicted, 3);
}

TEST(MetricsJson, HoldsEveryNumberUnderItsClassName) {
  const Metrics m = three_class_metrics();
  const nlohmann::json j = metrics_json(m, kThreeNames);
  EXPECT_DOUBLE_EQ(j.at("accuracy").get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(j.at("mca").get<double>(), 0.75);
  EXPECT_EQ(j.at("count").get<size_t>(), 10u);
  EXPECT_EQ(j.at("classes").get<std::vector<std::string>>(), kThreeNames);
  const auto& cs = j.at("per_class").at("coarse speckled");
  EXPECT_DOUBLE_EQ(cs.at("recall").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(cs.at("precision").get<double>(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(cs.at("f1").get<double>(), f1_of(2.0 / 3, 0.5));
  EXPECT_EQ(cs.at("support").get<int64_t>(), 4);
  EXPECT_EQ(j.at("per_class").at("nucleolar").at("support").get<int64_t>(), 2);
  const auto& conf = j.at("confusion");
  EXPECT_EQ(conf.at("labels").get<std::vector<std::string>>(), kThreeNames);
  EXPECT_EQ(conf.at("rows").get<std::string>(), "truth");
  EXPECT_EQ(conf.at("matrix").get<std::vector<std::vector<int64_t>>>(),
            (std::vector<std::vector<int64_t>>{{3, 1, 0}, {1, 2, 1}, {0, 0, 2}}));
}

TEST(MetricsJson, RejectsWrongOrDuplicateNames) {
  const Metrics m = three_class_metrics();
  EXPECT_THROW(metrics_json(m, {"a", "b"}), Error);
  EXPECT_THROW(metrics_json(m, {"a", "b", "a"}), Error);
  EXPECT_THROW(metrics_table(m, {"a", "b"}), Error);
}

TEST(MetricsJson, FileReadsBack) {
  TempDir dir;
  const Metrics m = three_class_metrics();
  write_metrics_json(dir.file("metrics.json"), m, kThreeNames);
  const nlohmann::json j = nlohmann::json::parse(read_file(dir.file("metrics.json")));
  EXPECT_DOUBLE_EQ(j.at("accuracy").get<double>(), 0.7);
  EXPECT_EQ(j.at("per_class").at("homogeneous").at("support").get<int64_t>(), 4);
}

TEST(MetricsTable, ShowsScoresAndConfusionRows) {
  const std::string table = metrics_table(three_class_metrics(), kThreeNames);
  EXPECT_NE(table.find("accuracy 70.00%"), std::string::npos) << table;
  EXPECT_NE(table.find("MCA 75.00%"), std::string::npos) << table;
  // The per-class line of "coarse speckled": precision 2/3, recall 1/2, support 4.
  // The confusion line of the same class: 1 2 1. Both start with its index and name.
  std::istringstream lines(table);
  std::string line;
  std::vector<std::string> class_lines;
  while (std::getline(lines, line))
    if (line.rfind("1 coarse speckled", 0) == 0) class_lines.push_back(line.substr(17));
  ASSERT_EQ(class_lines.size(), 2u) << table;
  std::istringstream scores(class_lines[0]);
  std::string precision, recall, f1, support;
  scores >> precision >> recall >> f1 >> support;
  EXPECT_EQ(precision, "0.6667");
  EXPECT_EQ(recall, "0.5000");
  EXPECT_EQ(support, "4");
  std::istringstream counts(class_lines[1]);
  std::vector<int> row(3);
  counts >> row[0] >> row[1] >> row[2];
  EXPECT_EQ(row, (std::vector<int>{1, 2, 1}));
}

// ---- group vote
// ----------------------------------------------------------------------------------

TEST(GroupVote, MajorityThenMeanProbabilityThenSmallestIndex) {
  // Cells of four specimens, given out of order. Three classes.
  //   s2: votes 1,1,0 -> 1 by majority.
  //   s1: votes 0,2 (tie); mean p0 = (0.6+0.1)/2 = 0.35, mean p2 = (0.3+0.7)/2 = 0.5 -> 2.
  //   s4: votes 2,1 (tie); mean p1 = (0.1+0.8)/2 = 0.45, mean p2 = (0.5+0.1)/2 = 0.3 -> 1.
  //   s3: a single cell voting 2.
  const std::vector<std::string> groups = {"s2", "s1", "s2", "s4", "s3", "s1", "s2", "s4"};
  const std::vector<int32_t> truth = {1, 2, 1, 1, 0, 2, 1, 1};
  const std::vector<int32_t> predicted = {1, 0, 1, 2, 2, 2, 0, 1};
  const std::vector<float> probs = {
      0.2f, 0.7f, 0.1f,  // s2
      0.6f, 0.1f, 0.3f,  // s1, votes 0
      0.1f, 0.8f, 0.1f,  // s2
      0.4f, 0.1f, 0.5f,  // s4, votes 2
      0.1f, 0.1f, 0.8f,  // s3
      0.1f, 0.2f, 0.7f,  // s1, votes 2
      0.5f, 0.3f, 0.2f,  // s2
      0.1f, 0.8f, 0.1f,  // s4, votes 1
  };
  const GroupVote v = vote_by_group(groups, truth, predicted, probs, 3);
  EXPECT_EQ(v.groups, (std::vector<std::string>{"s1", "s2", "s3", "s4"}));
  EXPECT_EQ(v.truth, (std::vector<int32_t>{2, 1, 0, 1}));
  EXPECT_EQ(v.predicted, (std::vector<int32_t>{2, 1, 2, 1}));
  EXPECT_EQ(v.cells, (std::vector<int64_t>{2, 3, 1, 2}));

  // Without probabilities the ties go to the smallest class index: s1 -> 0, s4 -> 1.
  const GroupVote plain = vote_by_group(groups, truth, predicted, {}, 3);
  EXPECT_EQ(plain.predicted, (std::vector<int32_t>{0, 1, 2, 1}));
}

TEST(GroupVote, RejectsInconsistentInput) {
  // One specimen with two true classes.
  EXPECT_THROW(vote_by_group({"a", "a"}, {0, 1}, {0, 0}, {}, 2), Error);
  EXPECT_THROW(vote_by_group({"a", "b"}, {0}, {0, 0}, {}, 2), Error);
  EXPECT_THROW(vote_by_group({"a"}, {0}, {0}, {0.5f, 0.5f, 0.0f}, 2), Error);
  EXPECT_THROW(vote_by_group({"a"}, {0}, {2}, {}, 2), Error);
  EXPECT_THROW(vote_by_group({"a"}, {-1}, {0}, {}, 2), Error);
}

// ---- CSV
// -------------------------------------------------------------------------------------------

TEST(Csv, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(csv_field("plain/path.png"), "plain/path.png");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_row({"x", "y,z", ""}), "x,\"y,z\",\n");
}

TEST(Csv, WrittenRowsReadBackThroughTheManifestReader) {
  // csv_row's quoting and the one CSV reader of hep2 agree on commas, quotes and line breaks.
  const std::vector<std::string> a = {"a,1", "b \"q\"", ""}, b = {"multi\nline", "x", "y"};
  const CsvTable t = parse_csv(csv_row({"h1", "h2", "h3"}) + csv_row(a) + csv_row(b), "t.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"h1", "h2", "h3"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], a);
  EXPECT_EQ(t.rows[1], b);
}

TEST(Csv, NumbersReadBackExactly) {
  const float f = 0.1f + 1e-9f;
  EXPECT_EQ(std::stof(format_number(f)), f);
  const double d = 1.0 / 3.0;
  EXPECT_EQ(std::stod(format_number(d)), d);
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(format_number(std::numeric_limits<double>::quiet_NaN()), "nan");
}

TEST(Csv, WriteRejectsRaggedRows) {
  TempDir dir;
  EXPECT_THROW(write_csv(dir.file("log.csv"), {"epoch", "loss"}, {{"1", "0.5"}, {"2"}}), Error);
  write_csv(dir.file("log.csv"), {"epoch", "loss"}, {{"1", "0.5"}, {"2", "0.25"}});
  EXPECT_EQ(read_file(dir.file("log.csv")), "epoch,loss\n1,0.5\n2,0.25\n");
}

// ---- predictions
// ---------------------------------------------------------------------------------

TEST(Predictions, CsvParsesBackWithQuotedPaths) {
  TempDir dir;
  const std::vector<std::string> paths = {"cells/a,b.png", "cells/plain.png", "say \"x\".png"};
  const std::vector<int32_t> predicted = {1, 0, 1};
  const std::vector<float> probs = {0.25f, 0.75f, 0.9f, 0.1f, 0.3333333f, 0.6666667f};
  const std::vector<std::string> names = {"homogeneous", "speckled"};
  write_predictions_csv(dir.file("p.csv"), paths, predicted, probs, names);
  const std::string text = read_file(dir.file("p.csv"));
  EXPECT_NE(text.find("\n\"cells/a,b.png\",speckled,"), std::string::npos) << text;
  const CsvTable table = parse_csv(text, "p.csv");
  std::vector<std::vector<std::string>> rows = {table.header};
  rows.insert(rows.end(), table.rows.begin(), table.rows.end());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{"path", "predicted", "p_homogeneous", "p_speckled"}));
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(rows[i + 1].size(), 4u);
    EXPECT_EQ(rows[i + 1][0], paths[i]);
    EXPECT_EQ(rows[i + 1][1], names[predicted[i]]);
    EXPECT_EQ(std::stof(rows[i + 1][2]), probs[2 * i]);
    EXPECT_EQ(std::stof(rows[i + 1][3]), probs[2 * i + 1]);
  }
}

TEST(Predictions, CsvWithoutProbabilities) {
  TempDir dir;
  write_predictions_csv(dir.file("p.csv"), {"x.png"}, {0}, {}, {"a", "b"});
  EXPECT_EQ(read_file(dir.file("p.csv")), "path,predicted\nx.png,a\n");
}

TEST(Predictions, JsonKeepsOrderAndValues) {
  TempDir dir;
  const std::vector<std::string> names = {"zeta", "alpha"};  // not alphabetical on purpose
  write_predictions_json(dir.file("p.json"), {"a,b.png", "c.png"}, {0, 1},
                         {0.8f, 0.2f, 0.35f, 0.65f}, names);
  const auto j = nlohmann::ordered_json::parse(read_file(dir.file("p.json")));
  EXPECT_EQ(j.at("classes").get<std::vector<std::string>>(), names);
  const auto& list = j.at("predictions");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("path").get<std::string>(), "a,b.png");
  EXPECT_EQ(list[0].at("predicted").get<std::string>(), "zeta");
  EXPECT_EQ(list[1].at("label").get<int>(), 1);
  EXPECT_EQ(list[1].at("probabilities").begin().key(), "zeta");  // label order, not sorted
  EXPECT_EQ(list[1].at("probabilities").at("alpha").get<float>(), 0.65f);
}

TEST(Predictions, RejectBadInput) {
  TempDir dir;
  const std::string out = dir.file("p.csv");
  EXPECT_THROW(write_predictions_csv(out, {"a", "b"}, {0}, {}, {"x", "y"}), Error);
  EXPECT_THROW(write_predictions_csv(out, {"a"}, {2}, {}, {"x", "y"}), Error);
  EXPECT_THROW(write_predictions_csv(out, {"a"}, {0}, {1.0f}, {"x", "y"}), Error);
  EXPECT_THROW(write_predictions_json(out, {"a"}, {0}, {}, {"x", "x"}), Error);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace hep2
