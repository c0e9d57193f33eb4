// Tiny autoencoder training runs for the training-option tests (denoising, warm-up, objective):
// an 8x8 DCAE with stages of 3 and 4 channels on random cells, and a run that can stop after some
// steps and continue in a fresh trainer from the saved block and step count, as --resume does.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/training.h"
#include "support/random.h"

namespace hep2::test {

constexpr int kTinySide = 8, kTinyBatch = 4;

inline std::unique_ptr<Trainer> tiny_dcae(Backend& be, uint64_t init_seed, float lr = 1e-2f) {
  DcaeConfig cfg;
  cfg.height = cfg.width = kTinySide;
  cfg.channels = {3, 4};
  OptimizerConfig adam;
  adam.lr = lr;
  auto t = std::make_unique<Trainer>(be, build_dcae(cfg).net, kTinyBatch, adam);
  t->init(InitScheme::Torch, init_seed);
  return t;
}

struct TinyRun {
  std::vector<float> before, after;  // parameters before and after training
  AeTrainResult result;              // of the last call (the resumed one when stopped)
};

// Trains tiny_dcae(init_seed) with `opt` (batch kTinyBatch) on `cells` random cells from
// data_seed. stop_after >= 0: stops after that many steps and resumes in a fresh trainer;
// only_steps >= 0: stops there for good.
inline TinyRun train_tiny_dcae(AeTrainOptions opt, int cells, uint64_t data_seed,
                               uint64_t init_seed, long stop_after = -1, long only_steps = -1) {
  auto be = make_cpu_backend(1);
  const Shape4 shape{cells, 1, kTinySide, kTinySide};
  DeviceImages data = upload_images(*be, shape, random_floats(data_seed, shape.count(), 0.0, 1.0),
                                    std::vector<int32_t>(size_t(cells), 0));
  std::vector<int> rows(static_cast<size_t>(cells));
  for (int i = 0; i < cells; ++i) rows[size_t(i)] = i;
  opt.batch = kTinyBatch;
  auto ae = tiny_dcae(*be, init_seed);
  TinyRun r;
  r.before = ae->block().get_params(*be);
  AeTrainState state;
  TrainControl control;
  control.stop_after_steps = stop_after >= 0 ? stop_after : only_steps;
  r.result = train_autoencoder(*ae, data, rows, opt, state, control);
  if (stop_after >= 0) {
    EXPECT_FALSE(state.finished(opt.epochs)) << "the run was to stop before its end";
    const std::vector<float> block = ae->block().get_all(*be);
    const long steps = ae->optimizer().steps();
    ae = tiny_dcae(*be, init_seed);  // its objective is the default until training sets it
    ae->block().set_all(*be, block);
    ae->optimizer().set_steps(steps);
    r.result = train_autoencoder(*ae, data, rows, opt, state);
  }
  r.after = ae->block().get_params(*be);
  return r;
}

}  // namespace hep2::test
