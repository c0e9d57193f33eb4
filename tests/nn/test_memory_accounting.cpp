// Peak device memory (Backend::bytes_in_use / peak_bytes): buffers are counted while they live,
// the peak stays, and a trainer's parameter block and arena are part of it.
#include <gtest/gtest.h>

#include "hep2/backend/backend.h"
#include "hep2/core/arena.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"

namespace hep2 {
namespace {

TEST(MemoryAccounting, BuffersCountWhileTheyLiveAndThePeakStays) {
  auto be = make_cpu_backend(1);
  const size_t base = be->bytes_in_use();
  EXPECT_EQ(be->peak_bytes(), base);
  {
    Buffer<float> a(*be, 1000);
    EXPECT_EQ(be->bytes_in_use(), base + 4000);
    {
      Buffer<double> b(*be, 500);
      EXPECT_EQ(be->bytes_in_use(), base + 8000);
    }
    EXPECT_EQ(be->bytes_in_use(), base + 4000);
  }
  EXPECT_EQ(be->bytes_in_use(), base);
  EXPECT_EQ(be->peak_bytes(), base + 8000);
}

TEST(MemoryAccounting, ATrainersMemoryAndItsScratchAreInThePeak) {
  auto be = make_cpu_backend(2);
  DcaeConfig cfg;
  cfg.height = cfg.width = 16;
  cfg.channels = {8, 16};
  Dcae dcae = build_dcae(cfg);
  OptimizerConfig adam;
  Trainer ae(*be, std::move(dcae.net), 4, adam);
  ae.init(InitScheme::Torch, 1);
  const size_t before_step = be->peak_bytes();
  EXPECT_GE(before_step, ae.device_bytes());
  Buffer<float> x(*be, 4 * 16 * 16);
  be->fill(x.data(), x.size(), 0.5f);
  ae.ae_step(4, x.data());
  // The step's convolutions need scratch of their own: the peak grows past the buffers.
  EXPECT_GT(be->peak_bytes(), before_step + x.bytes());
}

}  // namespace
}  // namespace hep2
