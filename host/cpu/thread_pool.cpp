// The CPU backend's thread pool (see thread_pool.h).
//
// Hand-over of a job: the caller, holding `publish_`, waits until no helper is still inside the
// previous job (active_ == 0), writes the job's fields, bumps `generation_` and wakes the helpers.
// A helper reads the fields and registers itself in active_ under the same lock, so it never sees
// half-written fields and the caller never rewrites fields a helper is using. Items are claimed
// with next_.fetch_add; the caller returns once done_ counts every item, and the release/acquire
// pair on done_ makes the items' results visible to it.
#include "cpu/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace hep2::cpu {
namespace {

// Polls before sleeping: a few tens of microseconds, longer than the gap between two ops of a
// training step and far shorter than a scheduler time slice.
constexpr int kSpins = 2000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

template <class Pred>
bool spin_until(const Pred& ready) {
  for (int i = 0; i < kSpins; ++i) {
    if (ready()) return true;
    cpu_relax();
  }
  return ready();
}

// Claims items of a job until none is left; counts each finished one. A helper that arrives after
// the last item was claimed never touches `body` (the caller may have returned and destroyed it).
void claim_items(const std::function<void(size_t, int)>* body, size_t items, int thread,
                 std::atomic<size_t>& next, std::atomic<size_t>& done) {
  for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < items;
       i = next.fetch_add(1, std::memory_order_relaxed)) {
    (*body)(i, thread);
    if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == items) done.notify_all();
  }
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) helpers_.emplace_back([this, i] { helper_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(publish_);
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  generation_.notify_all();
  for (std::thread& t : helpers_) t.join();
}

void ThreadPool::run(int team, size_t items, const std::function<void(size_t, int)>& body) {
  team = int(std::clamp<size_t>(size_t(std::max(team, 1)), 1, std::min(size_t(threads()), items)));
  if (team == 1 || items <= 1) {
    for (size_t i = 0; i < items; ++i) body(i, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(publish_);
    while (active_.load(std::memory_order_acquire) != 0) cpu_relax();
    body_ = &body;
    items_ = items;
    team_ = team;
    next_.store(0, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  generation_.notify_all();
  claim_items(&body, items, 0, next_, done_);
  if (spin_until([&] { return done_.load(std::memory_order_acquire) == items; })) return;
  for (size_t d = done_.load(std::memory_order_acquire); d != items;
       d = done_.load(std::memory_order_acquire))
    done_.wait(d, std::memory_order_acquire);
}

void ThreadPool::helper_loop(int index) {
  uint32_t seen = 0;
  for (;;) {
    if (!spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; }))
      while (generation_.load(std::memory_order_acquire) == seen)
        generation_.wait(seen, std::memory_order_acquire);
    const std::function<void(size_t, int)>* body = nullptr;
    size_t items = 0;
    {
      std::lock_guard<std::mutex> lock(publish_);
      seen = generation_.load(std::memory_order_relaxed);
      if (stop_) return;
      if (index >= team_) continue;
      body = body_;
      items = items_;
      active_.fetch_add(1, std::memory_order_relaxed);
    }
    claim_items(body, items, index, next_, done_);
    active_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace hep2::cpu
