// The CPU backend object: threads, per-worker scratch, host memory, and the factory.
#include "cpu/cpu_backend.h"

#include <omp.h>

#include <cstring>
#include <memory>

#include "cpu/gemm.h"
#include "cpu/parallel.h"
#include "hep2/core/error.h"

namespace hep2::cpu {
namespace {
// Below this many values per worker, an element-wise pass is cheaper on one thread than the cost
// of waking the team (a few microseconds).
constexpr size_t kMinElementsPerWorker = size_t(1) << 15;
}  // namespace

CpuBackend::CpuBackend(int threads) {
  if (threads < 0)
    fail("cpu backend: thread count ", threads, " is negative; use 0 for all cores or a count");
  threads_ = threads == 0 ? std::max(1, omp_get_max_threads()) : threads;
  pool_ = std::make_unique<ThreadPool>(threads_);
  scratch_.resize(size_t(threads_));
  blas_use_one_thread();
}

int CpuBackend::elementwise_workers(size_t count) const {
  return workers_for(count, threads_, kMinElementsPerWorker);
}

int CpuBackend::plane_workers(size_t planes, size_t values) const {
  return int(std::min<size_t>(size_t(elementwise_workers(values)), planes));
}

void CpuBackend::reserve_scratch(int workers, size_t col_floats, size_t grad_floats,
                                 size_t sum_doubles) {
  for (int t = 0; t < workers; ++t) {
    WorkerScratch& s = scratch_[size_t(t)];
    s.col.reserve<float>(col_floats);
    s.grad.reserve<float>(grad_floats);
    s.sums.reserve<double>(sum_doubles);
  }
}

void* CpuBackend::alloc(size_t bytes) {
  void* p = aligned_alloc_bytes(bytes);
  counter_.allocated(p, bytes);
  return p;
}
void CpuBackend::free(void* p) {
  counter_.freed(p);
  aligned_free(p);
}

size_t CpuBackend::scratch_bytes() const {
  size_t n = packed_.bytes() + offsets_.bytes() + chunk_grads_.bytes() + chunk_sums_.bytes();
  for (const WorkerScratch& w : scratch_)
    n += w.col.bytes() + w.grad.bytes() + w.sums.bytes() + w.source.bytes() + w.lanes.bytes() +
         w.wino_in.bytes() + w.wino_out.bytes();
  return n;
}

void CpuBackend::upload(void* dst, const void* host_src, size_t bytes) {
  if (bytes) std::memcpy(dst, host_src, bytes);
}
void CpuBackend::download(void* host_dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(host_dst, src, bytes);
}
void CpuBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memmove(dst, src, bytes);
}

void CpuBackend::copy_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch,
                           size_t row_bytes, size_t rows) {
  check_copy_rows(dst_pitch, src_pitch, row_bytes);
  for (size_t i = 0; i < rows && row_bytes; ++i)
    std::memcpy(static_cast<char*>(dst) + i * dst_pitch,
                static_cast<const char*>(src) + i * src_pitch, row_bytes);
}

void CpuBackend::fill(float* dst, size_t count, float value) {
  const int workers = elementwise_workers(count);
  run_ranges(*pool_, workers, count,
             [&](size_t begin, size_t end) { std::fill(dst + begin, dst + end, value); });
}

}  // namespace hep2::cpu

namespace hep2 {
std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return std::make_unique<cpu::CpuBackend>(threads);
}
}  // namespace hep2
