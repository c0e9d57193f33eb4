// The DCAEs of a run and their readings: which seed each --dcae-ensemble member trains with, the
// tag its artefacts carry, and the sizes (--stats-sizes) at which each member's encoder reads the
// cells, with the tag of each reading's features and classifier.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hep2 {

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

// The `count` members of an ensemble whose first member trains with `seed`.
std::vector<DcaeMember> dcae_members(int count, uint64_t seed);

// The readings of `member`, one per size of `stats_sizes` in order (`size` alone when empty);
// `size` is the size the DCAE trains at, whose readings keep the member's tag.
std::vector<Reading> member_readings(const DcaeMember& member, int size,
                                     const std::vector<int>& stats_sizes);

// The readings of every member of dcae_members(count, seed), member by member.
std::vector<Reading> all_readings(int count, uint64_t seed, int size,
                                  const std::vector<int>& stats_sizes);

}  // namespace hep2
