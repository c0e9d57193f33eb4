// Losses of the CPU backend with deterministic reductions: each worker sums its fixed range in
// double, and the partials are added in worker order (no float atomics, no timing dependence).
// Per-element formulas come from core/math.cuh.
#include <cmath>

#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"
#include "hep2/core/error.h"

namespace hep2::cpu {

void CpuBackend::sigmoid_mse(size_t count, const float* z, const float* target, float* recon,
                             float* dz, float* loss) {
  if (count == 0) fail("cpu sigmoid_mse: called with no values");
  const float inv_count = float(1.0 / double(count));
  const int workers = elementwise_workers(count);
  reserve_scratch(workers, 0, 0, 1);
  run_workers(*pool_, workers, [&](int t) {
    const Range r = split(count, workers, t);
    double sum = 0.0;
    for (size_t i = r.begin; i < r.end; ++i) {
      const float s = math::sigmoid(z[i]);
      const float x = target[i];
      sum += double(math::sq_err(s, x));
      if (recon) recon[i] = s;
      if (dz) dz[i] = math::sigmoid_mse_grad(s, x, inv_count);
    }
    sum_scratch(t)[0] = sum;
  });
  if (loss) {
    double total = 0.0;
    for (int t = 0; t < workers; ++t) total += sum_scratch(t)[0];
    *loss = float(total / double(count));
  }
}

void CpuBackend::sigmoid_bce_grad(size_t count, const float* s, const float* target, float* dz) {
  if (count == 0) fail("cpu sigmoid_bce_grad: called with no values");
  const float inv_count = float(1.0 / double(count));
  run_ranges(*pool_, elementwise_workers(count), count, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) dz[i] = math::sigmoid_bce_grad(s[i], target[i], inv_count);
  });
}

void CpuBackend::sigmoid_mse_per_sample(int batch, size_t per_sample, const float* z,
                                        const float* target, float* out) {
  if (batch <= 0 || per_sample == 0)
    fail("cpu sigmoid_mse_per_sample: batch ", batch, " x ", per_sample, " values is empty");
  const int workers =
      std::min(batch_workers(batch), elementwise_workers(size_t(batch) * per_sample));
  run_ranges(*pool_, workers, size_t(batch), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      double sum = 0.0;
      for (size_t j = i * per_sample; j < (i + 1) * per_sample; ++j)
        sum += double(math::sq_err(math::sigmoid(z[j]), target[j]));
      out[i] = float(sum / double(per_sample));
    }
  });
}

namespace {

void check_rows(int batch, int classes, const char* op) {
  if (batch <= 0 || classes <= 0)
    fail("cpu ", op, ": batch ", batch, " x classes ", classes, " must both be positive");
}

// Row statistics of a softmax: the maximum (subtracted for stability) and the sum of the shifted
// exponentials, accumulated in double.
struct RowStats {
  float max;
  double sum;
};
RowStats row_stats(const float* z, int classes) {
  float mx = z[0];
  for (int j = 1; j < classes; ++j) mx = z[j] > mx ? z[j] : mx;
  double sum = 0.0;
  for (int j = 0; j < classes; ++j) sum += double(std::exp(z[j] - mx));
  return {mx, sum};
}

}  // namespace

// The classifier's batches are small (tens of rows, a handful of classes): one thread suffices
// and keeps the loss sum in a fixed order trivially.
void CpuBackend::softmax_xent(int batch, int classes, const float* z, const int32_t* labels,
                              float* probs, float* dz, float* loss) {
  check_rows(batch, classes, "softmax_xent");
  for (int i = 0; i < batch; ++i)
    if (labels[i] < 0 || labels[i] >= classes)
      fail("cpu softmax_xent: label ", labels[i], " of row ", i, " is outside [0, ", classes,
           "); check the class count of the data");
  const float inv_batch = float(1.0 / double(batch));
  double total = 0.0;
  for (int i = 0; i < batch; ++i) {
    const float* zr = z + size_t(i) * classes;
    const RowStats st = row_stats(zr, classes);
    const int label = labels[i];
    total += std::log(st.sum) + double(st.max) - double(zr[label]);
    for (int j = 0; j < classes; ++j) {
      const float p = float(double(std::exp(zr[j] - st.max)) / st.sum);
      if (probs) probs[size_t(i) * classes + j] = p;
      if (dz) dz[size_t(i) * classes + j] = math::softmax_xent_grad(p, j == label, inv_batch);
    }
  }
  if (loss) *loss = float(total / double(batch));
}

void CpuBackend::softmax(int batch, int classes, const float* z, float* probs) {
  check_rows(batch, classes, "softmax");
  for (int i = 0; i < batch; ++i) {
    const float* zr = z + size_t(i) * classes;
    const RowStats st = row_stats(zr, classes);
    for (int j = 0; j < classes; ++j)
      probs[size_t(i) * classes + j] = float(double(std::exp(zr[j] - st.max)) / st.sum);
  }
}

}  // namespace hep2::cpu
