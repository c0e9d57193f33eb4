// The ranks of one job and what they exchange. A job launched by mpirun or srun has one rank per
// process (MPI); any other run is one rank alone, with the same calls doing nothing or copying.
// Everything here is collective: every rank of the job makes the same calls in the same order.
// The layers below (nn, pipeline) never see this: units of work are dealt to ranks by the command
// line (app), and one model's gradients are summed by a trainer's gradient hook (gradient_sum.h).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace hep2::dist {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;        // 0..size-1
  virtual int size() const = 0;
  virtual int local_rank() const = 0;  // among the ranks on this node (picks the GPU)
  virtual int local_size() const = 0;
  virtual std::string describe() const = 0;  // "MPI, 4 ranks on 2 nodes" / "one process"

  virtual void barrier() = 0;
  // Every rank's bytes on rank 0, in rank order; the other ranks get an empty list.
  virtual std::vector<std::string> gather(const std::string& mine) = 0;
  // count floats of every rank into `all` on rank 0 (size * count, rank-major); `all` is not
  // touched elsewhere and may be null there.
  virtual void gather_floats(const float* mine, size_t count, float* all) = 0;
  // Rank 0's bytes to every rank (the others' `bytes` are replaced, whatever their size).
  virtual void broadcast(std::string& bytes) = 0;
  virtual void broadcast(void* data, size_t bytes) = 0;
  // Ends every rank of the job with this exit code (the launcher reports the job as failed).
  [[noreturn]] virtual void abort(int code) = 0;
};

// The job's communicator: MPI's world when the process was started by an MPI launcher (mpirun,
// mpiexec, srun) and hep2 was built with MPI; otherwise one rank alone.
Communicator& world();

// A communicator of one rank alone: the work of one unit inside a job (a fold of `cv` that one
// rank runs by itself), or a run without a launcher.
Communicator& alone();

// The build: whether MPI and NCCL are compiled in, and their versions ("" without).
bool mpi_built();
bool nccl_built();
std::string mpi_version();
std::string nccl_version();

// Starts MPI for the process when a launcher started it (its environment says so) and MPI is
// built in, and finalises it at the end of main; a process without a launcher stays one rank and
// never touches MPI. One per process, made first thing in main().
class Launch {
 public:
  Launch(int& argc, char**& argv);
  ~Launch();
  Launch(const Launch&) = delete;
  Launch& operator=(const Launch&) = delete;
};

// Whether this process's environment names an MPI launcher (Open MPI's mpirun, a PMI or PMIx
// launcher such as MPICH's mpiexec or Slurm's srun).
bool started_by_launcher();

}  // namespace hep2::dist
