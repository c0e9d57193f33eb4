// What the environment says about the launcher that started this process.
#include <cstdlib>

#include "hep2/dist/communicator.h"

namespace hep2::dist {

bool started_by_launcher() {
  // Open MPI's mpirun; PMIx launchers (Open MPI 5, srun --mpi=pmix); PMI-1/2 launchers (MPICH's
  // mpiexec, srun --mpi=pmi2). A singleton MPI_Init would also work without them, but costs
  // half a second and a helper daemon for nothing: a process without a launcher is one rank.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

}  // namespace hep2::dist
