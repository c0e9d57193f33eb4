// The CPU backend's threads: the caller plus threads - 1 helpers that take items of one job at a
// time. Why not OpenMP's team: an idle OpenMP thread spins for milliseconds before it sleeps
// (libgomp's default GOMP_SPINCOUNT), and on a machine shared with other work those spinning
// threads take the cores the busy ones need; measured on a loaded 2-core machine, a DCAE step
// took about 1.5x longer with OpenMP's team than with the same team told to wait passively. These
// helpers spin for a few microseconds (enough to catch the next op of a training step) and then
// sleep on a futex (std::atomic::wait).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hep2::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads >= 1; threads - 1 helpers are started
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return int(helpers_.size()) + 1; }

  // Runs body(item, thread) for item = 0..items-1 on at most min(team, items) threads (the caller
  // is thread 0, helpers 1, 2, ...), each thread taking the next item when it is free; returns
  // when every item is done. The body must not throw. Not reentrant: one job at a time (one
  // caller).
  void run(int team, size_t items, const std::function<void(size_t, int)>& body);

 private:
  void helper_loop(int index);

  std::vector<std::thread> helpers_;
  std::mutex publish_;                   // guards the job fields below while they change
  const std::function<void(size_t, int)>* body_ = nullptr;
  size_t items_ = 0;
  int team_ = 0;
  bool stop_ = false;
  std::atomic<uint32_t> generation_{0};  // bumped for every job (and for stop)
  std::atomic<uint32_t> active_{0};      // helpers inside the current job
  std::atomic<size_t> next_{0};          // next unclaimed item
  std::atomic<size_t> done_{0};          // finished items
};

}  // namespace hep2::cpu
