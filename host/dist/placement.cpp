// Placement of ranks on a node's GPUs and CPU cores.
#include "hep2/dist/placement.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>

namespace hep2::dist {

int rank_device(const Communicator& c, int devices) {
  return devices > 0 ? c.local_rank() % devices : 0;
}

int rank_threads(const Communicator& c, int requested) {
  if (requested > 0 || c.size() == 1) return requested;
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t mask;
  CPU_ZERO(&mask);
  long allowed = online;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) allowed = CPU_COUNT(&mask);
  // A launcher that bound each rank to its own cores has already split them.
  if (allowed < online) return int(std::max(1L, allowed));
  return int(std::max(1L, allowed / std::max(1, c.local_size())));
}

}  // namespace hep2::dist
