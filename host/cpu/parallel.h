// Deterministic work splitting for the CPU backend. Every op divides its work into `workers`
// contiguous ranges that depend only on the size and the worker count (never on timing), so the
// same thread count always gives the same partition and therefore the same bits.
#pragma once
#include <algorithm>
#include <cstddef>

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

// Runs body(t) for t = 0..workers-1, one static iteration per worker. `t` names the piece of work
// and its scratch, not the OS thread: if OpenMP hands out fewer threads, one thread runs several
// pieces in turn and the result is unchanged. The body must not throw (validate before).
template <class Body>
void run_workers(int workers, const Body& body) {
  if (workers <= 1) {
    body(0);
    return;
  }
#pragma omp parallel for schedule(static, 1) num_threads(workers)
  for (int t = 0; t < workers; ++t) body(t);
}

// Runs body(begin, end) on each worker's piece of [0, count).
template <class Body>
void run_ranges(int workers, size_t count, const Body& body) {
  run_workers(workers, [&](int t) {
    const Range r = split(count, workers, t);
    if (!r.empty()) body(r.begin, r.end);
  });
}

}  // namespace hep2::cpu
