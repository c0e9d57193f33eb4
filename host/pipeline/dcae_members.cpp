// dcae_members: the seeds and tags of a run's DCAEs and the readings of each.
#include "hep2/pipeline/dcae_members.h"

namespace hep2 {

std::vector<DcaeMember> dcae_members(int count, uint64_t seed) {
  std::vector<DcaeMember> m;
  for (int k = 0; k < count; ++k)
    m.push_back({k, seed + uint64_t(k), k == 0 ? std::string() : "_m" + std::to_string(k + 1)});
  return m;
}

std::vector<Reading> member_readings(const DcaeMember& member, int size,
                                     const std::vector<int>& stats_sizes) {
  const std::vector<int> sizes = stats_sizes.empty() ? std::vector<int>{size} : stats_sizes;
  std::vector<Reading> r;
  for (int s : sizes)
    r.push_back({member, s, member.tag + (s == size ? "" : "_px" + std::to_string(s)),
                 member.index == 0 && r.empty()});
  return r;
}

std::vector<Reading> all_readings(int count, uint64_t seed, int size,
                                  const std::vector<int>& stats_sizes) {
  std::vector<Reading> all;
  for (const DcaeMember& m : dcae_members(count, seed))
    for (Reading& r : member_readings(m, size, stats_sizes)) all.push_back(std::move(r));
  return all;
}

}  // namespace hep2
