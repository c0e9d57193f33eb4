// The padded layout of the flat parameter buffer (param_layout.h, param_block.h): every section
// and every layer's slice of every section starts on a 256-byte boundary, so each weight tensor and
// its gradient and moments are 256-byte aligned whatever the odd sizes before them (the DCAE has
// 154,657 parameters: packed, its gradient section alone would start 4-byte aligned); the host
// side still sees the packed vector, in PyTorch order, and the padding stays zero through
// optimiser steps. On the GPU the absolute device addresses are checked too.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "hep2/core/rng.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "support/gpu.h"

namespace hep2 {
namespace {

constexpr size_t kAlign = 256;

std::vector<Network> models() {
  std::vector<Network> nets;
  for (DecoderKind dec : {DecoderKind::Transposed, DecoderKind::Upsample}) {
    DcaeConfig cfg;
    cfg.decoder = dec;
    nets.push_back(build_dcae(cfg).net);
  }
  MlpConfig mlp;
  mlp.classes = 5;
  nets.push_back(build_mlp(mlp));
  MlpConfig odd;  // every size odd
  odd.inputs = 7;
  odd.hidden = {5, 3};
  odd.classes = 3;
  nets.push_back(build_mlp(odd));
  return nets;
}

// Byte distance from the block's base to each weight tensor in each of the four sections must be
// a multiple of 256; with an allocation that is itself 256-aligned (cudaMalloc) so are the
// addresses. `base_alignment` is what the backend guarantees for the allocation itself.
void expect_aligned(Trainer& t, const ParamBlock& block, size_t base_alignment) {
  const auto base = reinterpret_cast<uintptr_t>(block.params());
  EXPECT_EQ(base % base_alignment, 0u);
  const float* sections[4] = {block.params(), block.grads(), block.moment1(), block.moment2()};
  const char* names[4] = {"params", "grads", "moment1", "moment2"};
  for (int s = 0; s < 4; ++s) {
    const auto at = reinterpret_cast<uintptr_t>(sections[s]);
    EXPECT_EQ((at - base) % kAlign, 0u) << names[s] << " section";
    for (const ParamTensor& pt : t.net().param_tensors()) {
      if (pt.is_bias) continue;  // a bias follows its weight (one pointer per layer; layer.h)
      const auto p = reinterpret_cast<uintptr_t>(sections[s] + pt.storage);
      EXPECT_EQ((p - base) % kAlign, 0u) << names[s] << " of " << pt.name;
      if (base_alignment >= kAlign) {
        EXPECT_EQ(p % kAlign, 0u) << names[s] << " of " << pt.name;
      }
    }
  }
}

TEST(ParamLayout, EveryWeightTensorOfEverySectionIs256ByteAligned) {
  auto be = make_cpu_backend(1);
  for (Network& net : models()) {
    const size_t count = net.param_count();
    Trainer t(*be, std::move(net), 2, OptimizerConfig{});
    SCOPED_TRACE(std::to_string(count) + " parameters");
    EXPECT_EQ(t.block().count(), count);
    EXPECT_EQ(t.block().stride() % ParamLayout::kAlignFloats, 0u);
    EXPECT_GE(t.block().stride(), count);
    expect_aligned(t, t.block(), 64);  // the CPU backend's allocations are 64-byte aligned
  }
}

TEST(ParamLayout, WeightAndBiasOfALayerStayBackToBackInPyTorchOrder) {
  for (Network& net : models()) {
    const auto& tensors = net.param_tensors();
    size_t packed = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
      EXPECT_EQ(tensors[i].offset, packed) << tensors[i].name;  // the packed vector is unchanged
      packed += tensors[i].count;
      if (tensors[i].is_bias) {
        ASSERT_GT(i, 0u);
        EXPECT_EQ(tensors[i].storage, tensors[i - 1].storage + tensors[i - 1].count)
            << tensors[i].name;
      }
    }
    EXPECT_EQ(packed, net.param_count());
  }
}

// The host side sees the packed vector: what goes in comes out, for every section, and the
// padding between slices is zero and stays zero through Adam steps (with weight decay).
TEST(ParamLayout, HostTransfersArePackedAndPaddingStaysZero) {
  auto be = make_cpu_backend(1);
  MlpConfig odd;
  odd.inputs = 7;
  odd.hidden = {5, 3};
  odd.classes = 3;
  OptimizerConfig opt;
  opt.weight_decay = 0.1f;
  Trainer t(*be, build_mlp(odd), 4, opt);
  const size_t n = t.block().count();
  std::vector<float> all(4 * n);
  Rng rng(3);
  for (float& v : all) v = float(rng.uniform(0.5, 1.5));  // non-zero, so misplaced values show
  t.block().set_all(*be, all);
  EXPECT_EQ(t.block().get_all(*be), all);
  EXPECT_EQ(t.block().get_params(*be), std::vector<float>(all.begin(), all.begin() + n));
  EXPECT_EQ(t.block().get_grads(*be), std::vector<float>(all.begin() + n, all.begin() + 2 * n));

  std::vector<float> x(4 * 7), raw(4 * t.block().stride());
  for (float& v : x) v = float(rng.uniform(-1, 1));
  std::vector<int32_t> y = {0, 1, 2, 1};
  Buffer<float> bx(*be, x.size());
  Buffer<int32_t> by(*be, y.size());
  be->upload(bx.data(), x.data(), bx.bytes());
  be->upload(by.data(), y.data(), by.bytes());
  t.block().set_params(*be, std::vector<float>(all.begin(), all.begin() + n));
  for (int s = 0; s < 3; ++s) t.clf_step(4, bx.data(), by.data(), 9);
  be->download(raw.data(), t.block().params(), raw.size() * sizeof(float));
  const ParamLayout& layout = t.block().layout();
  size_t padding = 0;
  for (size_t s = 0; s < 4; ++s) {
    std::vector<bool> used(layout.stride(), false);
    for (const ParamLayout::Slice& sl : layout.slices())
      for (size_t i = 0; i < sl.count; ++i) used[sl.storage + i] = true;
    for (size_t i = 0; i < layout.stride(); ++i)
      if (!used[i]) {
        ++padding;
        ASSERT_EQ(raw[s * layout.stride() + i], 0.f) << "section " << s << " padding " << i;
      }
  }
  EXPECT_GT(padding, 0u);  // this model's odd sizes do leave gaps
}

TEST(GpuParamLayout, DeviceAddressesOfEveryWeightTensorAre256ByteAligned) {
  HEP2_REQUIRE_CUDA_DEVICE();
  auto gpu = make_cuda_backend(0);
  for (Network& net : models()) {
    Trainer t(*gpu, std::move(net), 2, OptimizerConfig{});
    expect_aligned(t, t.block(), kAlign);  // cudaMalloc: 256-byte aligned
  }
}

}  // namespace
}  // namespace hep2
