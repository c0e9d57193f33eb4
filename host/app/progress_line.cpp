// ProgressLine: terminal detection and formatting.
#include "progress_line.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace hep2::app {

ProgressLine::ProgressLine(bool quiet)
    : tty_(isatty(fileno(stderr)) != 0), quiet_(quiet), last_(std::chrono::steady_clock::now()) {}

void ProgressLine::operator()(const TrainProgress& p) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  bool end = p.done == p.total && p.epoch == p.epochs;
  if (!tty_ && !end && now - last_ < std::chrono::seconds(5)) return;
  last_ = now;
  char loss[32] = "";
  if (std::isfinite(p.loss)) std::snprintf(loss, sizeof loss, " loss %.5f", p.loss);
  int eta = int(std::lround(p.eta_s));
  // Extraction goes once over the cells per view (--views), not in epochs.
  const char* round = p.phase == "extract" ? "view" : "epoch";
  std::fprintf(stderr, "%s%-9s %s %d/%d  %zu/%zu%s  %.0f img/s  ETA %d:%02d%s",
               tty_ ? "\r" : "", p.phase.c_str(), round, p.epoch, p.epochs, p.done, p.total, loss,
               p.images_per_s, eta / 60, eta % 60, tty_ ? "\033[K" : "\n");
  open_ = tty_;
  std::fflush(stderr);
}

void ProgressLine::finish() {
  if (open_) std::fputc('\n', stderr);
  open_ = false;
}

}  // namespace hep2::app
