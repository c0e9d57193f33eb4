// Independent units of work spread over the ranks of a job: unit i runs on rank i % size, and
// the result of every unit comes back to rank 0 in unit order. A unit is deterministic on its
// own (its seed, its data), so its result does not depend on where it ran: the job's figures are
// those of one process running every unit in turn.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "hep2/dist/communicator.h"

namespace hep2::dist {

// Whether unit i is this rank's.
inline bool is_mine(const Communicator& c, size_t unit) {
  return unit % size_t(c.size()) == size_t(c.rank());
}

// Runs this rank's units in order (run(i) returns its result as bytes) and gathers every unit's
// result on rank 0, which gets them all in unit order (the other ranks get an empty list). A unit
// that throws on one of several ranks ends as an Error "rank R of N, unit NAME: ..." (name(i)),
// which main() turns into one line and the end of the whole job; alone, the exception passes
// unchanged.
std::vector<std::string> run_units(Communicator& c, size_t count,
                                   const std::function<std::string(size_t)>& name,
                                   const std::function<std::string(size_t)>& run);

// Float tables packed into bytes and back, bit for bit (a unit's class probabilities).
std::string pack_tables(const std::vector<std::vector<float>>& tables);
std::vector<std::vector<float>> unpack_tables(const std::string& bytes);

}  // namespace hep2::dist
