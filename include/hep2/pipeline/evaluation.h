// Scoring an ensemble's class probabilities on the test cells: the figures of the ensemble, of
// each specimen by majority vote (when the data names specimens), of each DCAE alone and of each
// of its readings alone, so that the gain of averaging is visible in every run.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hep2/pipeline/probability_mean.h"
#include "hep2/report/metrics.h"

namespace hep2 {

// Who made each probability table: member k (0-based) has seed member_seeds[k] and one table per
// reading size, in reading_sizes' order.
struct EnsembleLayout {
  std::vector<uint64_t> member_seeds;
  std::vector<int> reading_sizes;
  bool per_member = true;  // false: one model of another kind (the supervised baseline)
};

struct MemberFigures {
  int member = 1;  // 1-based, as reports number them
  uint64_t seed = 0;
  Metrics metrics;
};
struct ReadingFigures {
  int member = 1;
  uint64_t seed = 0;
  int size = 0;
  Metrics metrics;
};

struct Evaluation {
  std::vector<int> rows;          // the test cells (indices into the data)
  std::vector<int32_t> truth;     // their classes
  std::vector<float> probabilities;  // the ensemble's: rows x classes
  std::vector<int32_t> predicted;
  Metrics cells;
  std::optional<Metrics> groups;       // when every test cell names its specimen
  std::vector<MemberFigures> members;  // when there are several DCAEs
  std::vector<ReadingFigures> readings;  // when a DCAE has several readings
};

// members: one ProbabilityMean per DCAE (layout.member_seeds' order), each with one table per
// reading. groups: the specimen of every cell of the data (empty or blank: none).
Evaluation evaluate_ensemble(const std::vector<ProbabilityMean>& members,
                             const EnsembleLayout& layout, const std::vector<int>& rows,
                             const std::vector<int32_t>& truth,
                             const std::vector<std::string>& groups, int classes);

}  // namespace hep2
