// The element-wise math of hep2, written once for the CPU backend (g++) and the CUDA kernels (nvcc).
// Every formula a backend applies per element lives here, so both compute the same bits of logic.
#pragma once
#include <cmath>

#include "hep2/core/hd.h"

namespace hep2::math {

// ---- activations -------------------------------------------------------------------------------
HEP2_HD float relu(float x) { return x > 0.f ? x : 0.f; }
// Gradient through ReLU from its output y: the kink at 0 passes nothing (as PyTorch does).
HEP2_HD float relu_grad(float y, float dy) { return y > 0.f ? dy : 0.f; }

// Numerically safe logistic: never evaluates exp of a large positive number.
HEP2_HD float sigmoid(float x) {
  if (x >= 0.f) {
    float e = expf(-x);
    return 1.f / (1.f + e);
  }
  float e = expf(x);
  return e / (1.f + e);
}
HEP2_HD float sigmoid_grad(float y, float dy) { return dy * y * (1.f - y); }

// ---- fused sigmoid + mean squared error -------------------------------------------------------
// loss = mean_i (sigmoid(z_i) - x_i)^2 over `count` elements. Per element we need the squared error
// (summed by a deterministic reduction elsewhere) and dL/dz_i = 2 (s - x) s (1 - s) / count.
HEP2_HD float sq_err(float s, float x) {
  float d = s - x;
  return d * d;
}
HEP2_HD float sigmoid_mse_grad(float s, float x, float inv_count) {
  return 2.f * (s - x) * s * (1.f - s) * inv_count;
}

// ---- sigmoid + binary cross-entropy (the gradient only) --------------------------------------
// loss = mean_i -(x_i log s_i + (1 - x_i) log(1 - s_i)), s = sigmoid(z): dL/dz_i = (s - x) / count.
// Unlike the MSE's, this gradient does not vanish where the sigmoid saturates.
HEP2_HD float sigmoid_bce_grad(float s, float x, float inv_count) { return (s - x) * inv_count; }

// ---- softmax cross-entropy ---------------------------------------------------------------------
// For one row: p_j = exp(z_j - max) / sum; loss = log(sum) + max - z_label; dz_j = (p_j - [j==label]) / batch.
HEP2_HD float softmax_xent_grad(float p, bool is_label, float inv_batch) {
  return (p - (is_label ? 1.f : 0.f)) * inv_batch;
}

// ---- feature standardisation -------------------------------------------------------------------
HEP2_HD float standardize(float x, float mean, float inv_std) { return (x - mean) * inv_std; }

// ---- optimizers ----------------------------------------------------------------------------------
struct AdamHyper {
  float lr = 3e-4f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 0.f;  // decoupled (AdamW) decay: w -= lr * wd * w
  // 1 - beta (in double on the host: 1 - 0.999f in float is 9.99987e-4, not 1e-3) and the bias
  // corrections 1 - beta^t (training takes them, and lr, from a StepState: see at_step).
  float omb1 = 0.1f, omb2 = 0.001f;
  float bc1 = 1.f, bc2 = 1.f;
};

// One Adam(W) update of a single parameter; m and v are updated in place.
HEP2_HD void adam_update(float& w, float g, float& m, float& v, const AdamHyper& h) {
  m = h.beta1 * m + h.omb1 * g;
  v = h.beta2 * v + h.omb2 * g * g;
  float mhat = m / h.bc1;
  float vhat = v / h.bc2;
  w -= h.lr * (mhat / (sqrtf(vhat) + h.eps) + h.weight_decay * w);
}

// ---- the optimiser's step state -----------------------------------------------------------------
// What changes from one optimiser step to the next lives in the backend's memory (device memory on
// the GPU, a plain host value on the CPU) and is advanced there, by a kernel on the GPU: a step
// captured once into a CUDA graph then replays with the right step count, learning rate and bias
// corrections every time, with nothing for the host to change between replays.
struct StepState {
  long long t = 0;               // optimiser steps taken (the step counter of Adam's bias correction)
  float lr = 0.f;                // this step's learning rate, the schedule applied
  float bc1 = 1.f, bc2 = 1.f;    // Adam's bias corrections 1 - beta^t
};
// What does not change between steps: the base rate, Adam's betas (in double, see AdamHyper) and
// the warm-up ramp: the rate rises linearly over warmup_steps steps, counted from the step after
// warmup_start (0 steps: the full rate at once).
struct StepSchedule {
  float lr = 3e-4f;
  double beta1 = 0.9, beta2 = 0.999;
  double warmup_steps = 0;
  long long warmup_start = 0;
};

// One step on: the counter, then what follows from it. In double: beta^t for large t underflows
// gracefully and stays exact for small t; the ramp's position is an exact integer.
HEP2_HD void advance_step(StepState& s, const StepSchedule& c) {
  s.t += 1;
  const double done = double(s.t - c.warmup_start);
  const float scale = c.warmup_steps > 0 ? float(fmin(1.0, done / c.warmup_steps)) : 1.f;
  s.lr = c.lr * scale;
  s.bc1 = float(1.0 - pow(c.beta1, double(s.t)));
  s.bc2 = float(1.0 - pow(c.beta2, double(s.t)));
}

// The Adam hyper-parameters of the step `s` describes.
HEP2_HD AdamHyper at_step(AdamHyper h, const StepState& s) {
  h.lr = s.lr;
  h.bc1 = s.bc1;
  h.bc2 = s.bc2;
  return h;
}

struct SgdHyper {
  float lr = 1e-2f, momentum = 0.9f;
  float weight_decay = 0.f;  // L2 decay added to the gradient, as torch.optim.SGD does
};

HEP2_HD SgdHyper at_step(SgdHyper h, const StepState& s) {
  h.lr = s.lr;
  return h;
}

// SGD with momentum as torch.optim.SGD (dampening 0): buf = mu buf + g'; w -= lr buf.
HEP2_HD void sgd_update(float& w, float g, float& buf, const SgdHyper& h) {
  float gd = g + h.weight_decay * w;
  buf = h.momentum * buf + gd;
  w -= h.lr * buf;
}

}  // namespace hep2::math
