// Deterministic work splitting for the CPU backend. Every op divides its work into pieces that
// depend only on the size and the worker count (never on timing): contiguous ranges, one per
// worker (run_workers, run_ranges), or independent items handed out as threads become free
// (run_items). So the same thread count always gives the same partition and the same bits.
#pragma once
#include <algorithm>
#include <cstddef>

#include "cpu/thread_pool.h"

namespace hep2::cpu {

struct Range {
  size_t begin = 0, end = 0;
  bool empty() const { return begin >= end; }
  size_t size() const { return end - begin; }
};

// Part `part` of `parts` near-equal contiguous pieces of [0, count).
inline Range split(size_t count, int parts, int part) {
  size_t p = size_t(parts), i = size_t(part);
  size_t base = count / p, extra = count % p;
  size_t begin = i * base + std::min(i, extra);
  return {begin, begin + base + (i < extra ? 1 : 0)};
}

// How many workers a job of `count` items deserves when each should get at least `min_each`:
// small jobs stay on the calling thread because waking a team costs more than they do.
inline int workers_for(size_t count, int threads, size_t min_each) {
  size_t by_size = min_each ? count / min_each : count;
  return int(std::clamp<size_t>(by_size, 1, size_t(std::max(threads, 1))));
}

// Runs body(t) for t = 0..workers-1 on the pool. `t` names the piece of work and its scratch,
// not the thread: whichever thread runs piece t, the result is the same. The body must not
// throw (validate before).
template <class Body>
void run_workers(ThreadPool& pool, int workers, const Body& body) {
  if (workers <= 1) {
    body(0);
    return;
  }
  pool.run(workers, size_t(workers), [&](size_t t, int) { body(int(t)); });
}

// Runs body(item, thread) for item = 0..items-1 on up to `threads` threads, each taking the next
// item when it becomes free. For ops whose items are independent (one image, one chunk with its
// own partial result): `thread` (< min(threads, items)) only names the scratch to use, so the
// result is the same for any thread count and any timing, and a thread the OS preempts on a busy
// machine holds up the op by one item rather than by half of it.
template <class Body>
void run_items(ThreadPool& pool, int threads, size_t items, const Body& body) {
  if (threads <= 1 || items <= 1) {
    for (size_t i = 0; i < items; ++i) body(i, 0);
    return;
  }
  pool.run(threads, items, [&](size_t i, int t) { body(i, t); });
}

// Runs body(begin, end) on each worker's piece of [0, count).
template <class Body>
void run_ranges(ThreadPool& pool, int workers, size_t count, const Body& body) {
  run_workers(pool, workers, [&](int t) {
    const Range r = split(count, workers, t);
    if (!r.empty()) body(r.begin, r.end);
  });
}

}  // namespace hep2::cpu
