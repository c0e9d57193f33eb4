// Fully connected layer, y = act(x W^T + b) with W in PyTorch's out x in layout. Each worker runs
// one sgemm on its own block of rows, so no two workers touch the same output and the result
// does not depend on timing.
#include "cpu/cpu_backend.h"
#include "cpu/gemm.h"
#include "cpu/parallel.h"
#include "hep2/core/error.h"

namespace hep2::cpu {
namespace {

// Below this many multiply-adds per worker a second thread costs more than it saves.
constexpr size_t kMinMacsPerWorker = size_t(1) << 18;

void check_dense(int batch, int in, int out, const char* op) {
  if (batch <= 0 || in <= 0 || out <= 0)
    fail("cpu ", op, ": batch ", batch, ", in ", in, ", out ", out, " must all be positive");
}

}  // namespace

void CpuBackend::dense_forward(int batch, int in, int out, const float* x, const float* w,
                               const float* b, Act act, float* y) {
  check_dense(batch, in, out, "dense_forward");
  const size_t macs = size_t(batch) * in * out;
  const int workers =
      std::min(batch_workers(batch), workers_for(macs, threads_, kMinMacsPerWorker));
  run_ranges(*pool_, workers, size_t(batch), [&](size_t begin, size_t end) {
    const int rows = int(end - begin);
    float* yb = y + begin * out;
    sgemm(Op::N, Op::T, rows, out, in, 1.f, x + begin * in, in, w, in, 0.f, yb, out);
    if (!b && act == Act::None) return;
    for (int r = 0; r < rows; ++r) {
      float* row = yb + size_t(r) * out;
      if (act == Act::Relu) {
#pragma omp simd
        for (int j = 0; j < out; ++j) row[j] = math::relu(row[j] + (b ? b[j] : 0.f));
      } else {
#pragma omp simd
        for (int j = 0; j < out; ++j) row[j] += b[j];
      }
    }
  });
}

void CpuBackend::dense_backward(int batch, int in, int out, const float* x, const float* w,
                                const float* dy, float* dx, float* dw, float* db) {
  check_dense(batch, in, out, "dense_backward");
  const size_t macs = size_t(batch) * in * out;
  const int workers = workers_for(macs, threads_, kMinMacsPerWorker);
  run_workers(*pool_, workers, [&](int t) {
    // dW = dy^T x: this worker's rows of dW (output units) need the matching columns of dy.
    const Range units = split(size_t(out), workers, t);
    if (!units.empty())
      sgemm(Op::T, Op::N, int(units.size()), in, batch, 1.f, dy + units.begin, out, x, in, 0.f,
            dw + units.begin * in, in);
    // dx = dy W: this worker's rows of the batch.
    const Range rows = split(size_t(batch), workers, t);
    if (dx && !rows.empty())
      sgemm(Op::N, Op::N, int(rows.size()), in, out, 1.f, dy + rows.begin * out, out, w, in, 0.f,
            dx + rows.begin * in, in);
  });
  if (db)  // column sums in double, rows in order
    for (int j = 0; j < out; ++j) {
      double s = 0.0;
      for (int i = 0; i < batch; ++i) s += double(dy[size_t(i) * out + j]);
      db[j] = float(s);
    }
}

}  // namespace hep2::cpu
