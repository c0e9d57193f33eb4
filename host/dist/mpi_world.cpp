// The job's ranks over MPI: MPI_Init when a launcher started the process, the world and node
// communicators, and the collectives the rest of hep2 needs (gather to rank 0, broadcast).
// Every MPI call is checked; an MPI error is an Error naming the call.
#include <mpi.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "hep2/core/error.h"
#include "hep2/dist/communicator.h"

namespace hep2::dist {
namespace {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = "";
  int len = 0;
  MPI_Error_string(rc, text, &len);
  fail("MPI: ", call, " failed: ", text);
}
#define HEP2_MPI_CHECK(call) check((call), #call)

int as_count(size_t n, const char* what) {
  if (n > size_t(INT_MAX)) fail("MPI: ", what, " of ", n, " elements is more than one message holds");
  return int(n);
}

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    HEP2_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm_));
    // Errors come back as codes (checked above) instead of ending the process inside MPI.
    HEP2_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
    HEP2_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
    HEP2_MPI_CHECK(MPI_Comm_size(comm_, &size_));
    HEP2_MPI_CHECK(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_));
    HEP2_MPI_CHECK(MPI_Comm_rank(node_, &local_rank_));
    HEP2_MPI_CHECK(MPI_Comm_size(node_, &local_size_));
    int first = local_rank_ == 0 ? 1 : 0;
    HEP2_MPI_CHECK(MPI_Allreduce(&first, &nodes_, 1, MPI_INT, MPI_SUM, comm_));
  }
  ~MpiWorld() override {
    MPI_Comm_free(&node_);
    MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string describe() const override {
    return "MPI, " + std::to_string(size_) + " rank(s) on " + std::to_string(nodes_) + " node(s)";
  }

  void barrier() override { HEP2_MPI_CHECK(MPI_Barrier(comm_)); }

  std::vector<std::string> gather(const std::string& mine) override {
    int len = as_count(mine.size(), "a gathered result");
    std::vector<int> lens(rank_ == 0 ? size_t(size_) : 0), at;
    HEP2_MPI_CHECK(MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, comm_));
    std::string all;
    if (rank_ == 0) {
      size_t total = 0;
      for (int l : lens) {
        at.push_back(int(total));
        total += size_t(l);
      }
      as_count(total, "the gathered results");
      all.resize(total);
    }
    HEP2_MPI_CHECK(MPI_Gatherv(mine.data(), len, MPI_BYTE, all.data(), lens.data(), at.data(),
                               MPI_BYTE, 0, comm_));
    std::vector<std::string> out;
    for (size_t r = 0; r < lens.size(); ++r) out.push_back(all.substr(size_t(at[r]), size_t(lens[r])));
    return out;
  }

  void gather_floats(const float* mine, size_t count, float* all) override {
    const int n = as_count(count, "a gathered float array");
    HEP2_MPI_CHECK(MPI_Gather(mine, n, MPI_FLOAT, all, n, MPI_FLOAT, 0, comm_));
  }

  void broadcast(std::string& bytes) override {
    uint64_t n = bytes.size();
    HEP2_MPI_CHECK(MPI_Bcast(&n, 1, MPI_UINT64_T, 0, comm_));
    bytes.resize(size_t(n));
    broadcast(bytes.data(), bytes.size());
  }

  void broadcast(void* data, size_t bytes) override {
    HEP2_MPI_CHECK(MPI_Bcast(data, as_count(bytes, "a broadcast"), MPI_BYTE, 0, comm_));
  }

  [[noreturn]] void abort(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; should it, the process still ends
  }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL, node_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1, nodes_ = 1;
};

std::unique_ptr<MpiWorld>& the_world() {
  static std::unique_ptr<MpiWorld> w;
  return w;
}

}  // namespace

Launch::Launch(int& argc, char**& argv) {
  if (!started_by_launcher()) return;
  int provided = 0;
  // Only the main thread calls MPI (the CPU backend's worker threads never do).
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    std::fprintf(stderr, "hep2: error: MPI_Init_thread failed: the launcher started this process "
                         "but MPI could not be initialised\n");
    std::exit(1);
  }
  try {
    the_world() = std::make_unique<MpiWorld>();
  } catch (const Error& e) {
    std::fprintf(stderr, "hep2: error: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

Launch::~Launch() {
  if (!the_world()) return;
  the_world().reset();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Communicator& world() {
  if (the_world()) return *the_world();
  return alone();
}

bool mpi_built() { return true; }

std::string mpi_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = "";
  int len = 0;
  MPI_Get_library_version(text, &len);
  std::string s(text, size_t(len));
  // The first line names the library and version ("Open MPI v4.1.4, package: ...").
  const size_t cut = s.find_first_of(",\n");
  return cut == std::string::npos ? s : s.substr(0, cut);
}

}  // namespace hep2::dist
