// --data-parallel: its checks and the replica it makes of a trainer.
#include "data_parallel.h"

#include <cstdio>

#include "hep2/backend/backend.h"
#include "hep2/core/error.h"
#include "hep2/dist/communicator.h"

namespace hep2::app {

void check_data_parallel(const Options& opt, const std::string& command) {
  if (!opt.data_parallel) return;
  if (!dist::mpi_built())
    fail("option --data-parallel: this hep2 was built without MPI (HEP2_MPI=OFF, or no MPI "
         "library at build time); rebuild with Open MPI (tools/setup.sh installs it) and start "
         "the ranks with mpirun or srun");
  if (command == "cv")
    fail("option --data-parallel: cv already spreads its units (folds x seeds) over the ranks; "
         "run it without --data-parallel");
  if (opt.method == Method::Supervised)
    fail("option --data-parallel: trains DCAEs, and --method supervised has none");
  const dist::Communicator& job = dist::world();
  const bool gpu = opt.device == "cuda" || opt.device.rfind("cuda:", 0) == 0 ||
                   (opt.device == "auto" && cuda_device_count() > 0);
  if (!gpu) return;
  if (opt.device.rfind("cuda:", 0) == 0 && job.size() > 1)
    fail("option --data-parallel: --device ", opt.device, " would put every rank on one GPU; use "
         "--device cuda (each rank takes GPU local_rank % GPUs)");
  if (job.local_size() > cuda_device_count())
    fail("option --data-parallel: ", job.local_size(), " rank(s) on this node but ",
         cuda_device_count(), " GPU(s): data-parallel training takes one GPU per rank; start at "
         "most ", cuda_device_count(), " rank(s) per node, or use --device cpu");
}

std::unique_ptr<dist::GradientSum> join_data_parallel(const Options& opt, Trainer& net,
                                                      AeTrainOptions& to) {
  if (!opt.data_parallel) return nullptr;
  dist::Communicator& job = dist::world();
  std::unique_ptr<dist::GradientSum> sum =
      dist::make_gradient_sum(job, net.backend(), net.block().stride());
  net.set_gradient_hook(dist::gradient_hook(*sum));
  to.shard = job.rank();
  to.shards = job.size();
  return sum;
}

std::function<void(Trainer&, ClfTrainOptions&)> classifier_replicas(const Options& opt) {
  if (!opt.data_parallel) return {};
  return [](Trainer& net, ClfTrainOptions& to) {
    dist::Communicator& job = dist::world();
    std::shared_ptr<dist::GradientSum> sum =
        dist::make_gradient_sum(job, net.backend(), net.block().stride());
    if (job.rank() == 0)
      std::fprintf(stderr, "classifier data parallel: %d rank(s), gradients summed over %s\n",
                   job.size(), sum->kind());
    net.set_gradient_hook(dist::gradient_hook(std::move(sum)));
    to.shard = job.rank();
    to.shards = job.size();
    to.agree = [&job](double* figures, size_t count) {
      job.broadcast(figures, count * sizeof(double));
    };
  };
}

bool writes_run_files(const Options& opt) {
  return !opt.data_parallel || dist::world().rank() == 0;
}

}  // namespace hep2::app
