// The progress display of long phases: on a terminal one line rewritten in place (epoch, batch,
// loss, images/s, ETA); otherwise (logs, pipes) a plain line at most every few seconds.
#pragma once
#include <chrono>

#include "hep2/pipeline/training.h"

namespace hep2::app {

class ProgressLine {
 public:
  explicit ProgressLine(bool quiet = false);
  void operator()(const TrainProgress& p);
  void finish();  // ends a rewritten line
  ProgressFn fn() {
    return [this](const TrainProgress& p) { (*this)(p); };
  }

 private:
  bool tty_, quiet_, open_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace hep2::app
