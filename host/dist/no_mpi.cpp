// The job of a build without MPI: always one rank. A launcher that starts several copies of such
// a build would have each of them run the whole job into the same folder, so that is refused.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "hep2/core/error.h"
#include "hep2/dist/communicator.h"

namespace hep2::dist {
namespace {

// The number of processes the launcher started, from its environment (1 when none is named).
int launched_processes() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* s = std::getenv(v)) return std::max(1, std::atoi(s));
  return 1;
}

}  // namespace

Launch::Launch(int&, char**&) {}
Launch::~Launch() = default;

Communicator& world() {
  static const int processes = started_by_launcher() ? launched_processes() : 1;
  if (processes > 1)
    fail("this hep2 was built without MPI (HEP2_MPI=OFF, or no MPI library at build time) but a "
         "launcher started ", processes, " copies of it: each would run the whole job into the "
         "same folder. Rebuild with MPI (Debian: openmpi-bin libopenmpi-dev) or run one process");
  return alone();
}

bool mpi_built() { return false; }
std::string mpi_version() { return ""; }

}  // namespace hep2::dist
