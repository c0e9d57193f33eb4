// Every op of the CUDA backend against the CPU backend (itself checked against naive loops in
// tests/nn) on random inputs of several shapes: odd sizes, batch 1, non-square images and kernels,
// channel counts that do not fill a tile. FP32 mode (TF32 off). Float results must agree to a
// relative 1e-4; ops that only move, compare or multiply once (pooling, up-sampling, gather,
// argmax, dropout, ReLU) must agree exactly. Outputs are poisoned with NaN before each GPU call,
// so an element the GPU never writes fails the comparison. Also: determinism (two GPU runs give
// the same bits), the out-of-memory message, and device-index errors.
//
// Each test skips with a reason where no CUDA device is present (always the case on CI and on the
// development machines), and fails instead under HEP2_REQUIRE_GPU=1 (support/gpu.h), which
// tools/gpu_check.sh sets on the GPU machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/arena.h"
#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "support/compare.h"
#include "support/gpu.h"
#include "support/random.h"

namespace hep2 {
namespace {

using test::random_floats;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// ---- comparison ---------------------------------------------------------------------------------
// close and same (support/compare.h), shared with the SIMT harness.
using test::close;
using test::kRel;
using test::same;

// Bit-for-bit equality, for the determinism tests (== would let -0 and +0 pass).
::testing::AssertionResult identical_bits(const std::vector<float>& a,
                                          const std::vector<float>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes differ";
  if (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0)
    return ::testing::AssertionSuccess();
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure()
             << "first difference at " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionFailure() << "bytes differ";
}

std::string describe(const ConvGeom& g) {
  return "n" + std::to_string(g.n) + " " + std::to_string(g.c_in) + "->" + std::to_string(g.c_out) +
         " " + std::to_string(g.h) + "x" + std::to_string(g.w) + " k" + std::to_string(g.k_h) +
         "x" + std::to_string(g.k_w) + " s" + std::to_string(g.stride) + " p" +
         std::to_string(g.pad);
}

ConvGeom geom(int n, int c_in, int c_out, int h, int w, int k_h, int k_w, int stride, int pad) {
  ConvGeom g;
  g.n = n, g.c_in = c_in, g.c_out = c_out, g.h = h, g.w = w;
  g.k_h = k_h, g.k_w = k_w, g.stride = stride, g.pad = pad;
  return g;
}

// ---- the fixture: one GPU and one CPU backend, and tensors mirrored on both ---------------------
// A tensor with the same contents on both backends.
template <class T>
struct Twin {
  Buffer<T> cpu, gpu;
  const T* c() const { return cpu.data(); }
  const T* g() const { return gpu.data(); }
  T* c() { return cpu.data(); }
  T* g() { return gpu.data(); }
};

class GpuFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    HEP2_REQUIRE_CUDA_DEVICE();
    gpu_ = make_cuda_backend(0, /*allow_tf32=*/false);
    cpu_ = make_cpu_backend();
  }

  template <class T>
  Twin<T> twin(const std::vector<T>& host) {
    Twin<T> t{Buffer<T>(*cpu_, host.size()), Buffer<T>(*gpu_, host.size())};
    if (!host.empty()) {
      cpu_->upload(t.cpu.data(), host.data(), host.size() * sizeof(T));
      gpu_->upload(t.gpu.data(), host.data(), host.size() * sizeof(T));
    }
    return t;
  }
  Twin<float> random(size_t count, double lo = -1.0, double hi = 1.0) {
    return twin(random_floats(rng_, count, lo, hi));
  }
  // An output: NaN on both sides until an op writes it.
  Twin<float> output(size_t count) { return twin(std::vector<float>(count, kNaN)); }
  Twin<int32_t> int_output(size_t count) {
    return twin(std::vector<int32_t>(count, int32_t(-123456)));
  }
  // Re-poisons the GPU side (between two GPU runs of the same op).
  void poison(Twin<float>& t) { gpu_->fill(t.g(), t.gpu.size(), kNaN); }

  template <class T>
  std::vector<T> read(Backend& be, const Buffer<T>& b) {
    std::vector<T> host(b.size());
    if (!host.empty()) be.download(host.data(), b.data(), host.size() * sizeof(T));
    return host;
  }
  template <class T>
  std::vector<T> gpu_of(const Twin<T>& t) {
    return read(*gpu_, t.gpu);
  }
  template <class T>
  std::vector<T> cpu_of(const Twin<T>& t) {
    return read(*cpu_, t.cpu);
  }

  std::unique_ptr<Backend> gpu_, cpu_;
  Rng rng_{20240917};
};

#define HEP2_EXPECT_CLOSE(t) EXPECT_TRUE(close(gpu_of(t), cpu_of(t))) << #t
#define HEP2_EXPECT_SAME(t) EXPECT_TRUE(same(gpu_of(t), cpu_of(t))) << #t

// ---- shapes -------------------------------------------------------------------------------------
std::vector<ConvGeom> conv_cases() {
  return {
      geom(1, 1, 3, 7, 5, 3, 3, 1, 1),      // batch 1, one input channel, non-square
      geom(3, 4, 5, 9, 6, 3, 3, 2, 1),      // stride 2 on odd sizes
      geom(2, 3, 2, 8, 8, 5, 5, 1, 2),      // 5x5, pad 2
      geom(2, 5, 4, 6, 7, 3, 1, 1, 0),      // non-square kernel
      geom(2, 3, 2, 10, 13, 5, 3, 2, 0),    // stride that leaves rows uncovered
      geom(4, 32, 64, 16, 16, 3, 3, 1, 1),  // the DCAE's second encoder layer, batch 4
  };
}

std::vector<ConvGeom> deconv_cases() {
  return {
      geom(1, 1, 1, 5, 3, 4, 4, 2, 1),      // batch 1, single channel, non-square
      geom(3, 5, 6, 4, 7, 4, 4, 2, 1),      // output-channel tile of 4 with a partial tile
      geom(2, 3, 17, 6, 6, 3, 3, 1, 1),     // 17 outputs: a full tile of 16 plus one
      geom(2, 4, 3, 5, 5, 3, 3, 2, 0),      // odd kernel, stride 2, no padding
      geom(2, 6, 5, 4, 3, 5, 3, 3, 2),      // 5x3 kernel, stride 3
      geom(2, 20, 40, 5, 5, 4, 4, 2, 1),    // 20 inputs: an input tile of 16 plus a partial one
      geom(4, 64, 32, 16, 16, 4, 4, 2, 1),  // the DCAE's dec2, batch 4: two weight stages, splits
      geom(2, 32, 1, 32, 32, 4, 4, 2, 1),   // the DCAE's dec3, batch 2: one output channel
  };
}

// ---- device and memory --------------------------------------------------------------------------
using GpuOpsDevice = GpuFixture;

TEST_F(GpuOpsDevice, NameAndKind) {
  EXPECT_EQ(gpu_->name(), "cuda:0");
  EXPECT_TRUE(gpu_->is_gpu());
  EXPECT_TRUE(cuda_built());
  EXPECT_NE(cuda_info().find("cuda:0: "), std::string::npos) << cuda_info();
}

TEST_F(GpuOpsDevice, IndexOutOfRangeSaysHowManyDevicesExist) {
  const int count = cuda_device_count();
  try {
    make_cuda_backend(count + 2);
    FAIL() << "cuda:" << count + 2 << " should not exist";
  } catch (const Error& e) {
    std::string text = e.what();
    EXPECT_NE(text.find("--device cuda:" + std::to_string(count + 2)), std::string::npos) << text;
    EXPECT_NE(text.find("only " + std::to_string(count) + " CUDA device"), std::string::npos)
        << text;
  }
}

TEST_F(GpuOpsDevice, OutOfMemoryNamesTheSizeAndSuggestsASmallerBatch) {
  const size_t tebibyte = size_t(1) << 40;
  try {
    void* p = gpu_->alloc(tebibyte);
    gpu_->free(p);
    FAIL() << "a 1 TiB allocation succeeded";
  } catch (const Error& e) {
    std::string text = e.what();
    EXPECT_NE(text.find("--batch"), std::string::npos) << text;
    EXPECT_NE(text.find(std::to_string(tebibyte)), std::string::npos) << text;
    EXPECT_NE(text.find("free"), std::string::npos) << text;
  }
  // The failure leaves the backend usable.
  Twin<float> t = random(1000);
  Buffer<float> copy(*gpu_, 1000);
  gpu_->copy(copy.data(), t.g(), 1000 * sizeof(float));
  EXPECT_TRUE(same(read(*gpu_, copy), cpu_of(t)));
}

TEST_F(GpuOpsDevice, UploadCopyFillDownload) {
  Twin<float> a = random(4099);
  Twin<float> b = output(4099);
  gpu_->copy(b.g(), a.g(), 4099 * sizeof(float));
  EXPECT_TRUE(same(gpu_of(b), cpu_of(a)));
  gpu_->fill(b.g() + 3, 4000, -2.5f);
  cpu_->copy(b.c(), a.c(), 4099 * sizeof(float));
  cpu_->fill(b.c() + 3, 4000, -2.5f);
  HEP2_EXPECT_SAME(b);
}

TEST_F(GpuOpsDevice, CopyRowsMatchesCpu) {
  const size_t rows = 37, wa = 129, wc = 200, f = sizeof(float);
  Twin<float> a = random(rows * wa);
  Twin<float> c = output(rows * wc);  // NaN where nothing is copied, on both sides
  gpu_->copy_rows(c.g() + 50, wc * f, a.g(), wa * f, wa * f, rows);
  cpu_->copy_rows(c.c() + 50, wc * f, a.c(), wa * f, wa * f, rows);
  std::vector<float> got = gpu_of(c), want = cpu_of(c);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * f));  // NaN == NaN bitwise
}

// ---- convolution (cuDNN) ----------------------------------------------------------------------
using GpuOpsConv = GpuFixture;

TEST_F(GpuOpsConv, ForwardWithAndWithoutBiasAndReluMatchesCpu) {
  for (const ConvGeom& g : conv_cases()) {
    SCOPED_TRACE(describe(g));
    Twin<float> x = random(g.input().count()), w = random(g.weight_count());
    Twin<float> b = random(size_t(g.c_out), -0.25, 0.25);  // small: ReLU keeps most outputs
    Twin<float> y = output(g.conv_output().count());
    cpu_->conv2d_forward(g, x.c(), w.c(), b.c(), Act::Relu, y.c());
    gpu_->conv2d_forward(g, x.g(), w.g(), b.g(), Act::Relu, y.g());
    HEP2_EXPECT_CLOSE(y);
    poison(y);
    cpu_->conv2d_forward(g, x.c(), w.c(), nullptr, Act::None, y.c());
    gpu_->conv2d_forward(g, x.g(), w.g(), nullptr, Act::None, y.g());
    HEP2_EXPECT_CLOSE(y);
  }
}

TEST_F(GpuOpsConv, BackwardDataMatchesCpu) {
  for (const ConvGeom& g : conv_cases()) {
    SCOPED_TRACE(describe(g));
    Twin<float> dy = random(g.conv_output().count()), w = random(g.weight_count());
    Twin<float> dx = output(g.input().count());
    cpu_->conv2d_backward_data(g, dy.c(), w.c(), dx.c());
    gpu_->conv2d_backward_data(g, dy.g(), w.g(), dx.g());
    HEP2_EXPECT_CLOSE(dx);
  }
}

TEST_F(GpuOpsConv, BackwardFilterAndBiasMatchCpu) {
  for (const ConvGeom& g : conv_cases()) {
    SCOPED_TRACE(describe(g));
    Twin<float> x = random(g.input().count()), dy = random(g.conv_output().count());
    Twin<float> dw = output(g.weight_count()), db = output(size_t(g.c_out));
    cpu_->conv2d_backward_filter(g, x.c(), dy.c(), dw.c(), db.c());
    gpu_->conv2d_backward_filter(g, x.g(), dy.g(), dw.g(), db.g());
    HEP2_EXPECT_CLOSE(dw);
    HEP2_EXPECT_CLOSE(db);
    poison(dw);
    gpu_->conv2d_backward_filter(g, x.g(), dy.g(), dw.g(), nullptr);  // no bias gradient
    HEP2_EXPECT_CLOSE(dw);
  }
}

// Weights at an odd float offset (a view into the flat parameter buffer after a 1-element bias):
// the plan cache must key on alignment and cuDNN must accept 4-byte aligned tensors.
TEST_F(GpuOpsConv, MisalignedWeightViewMatchesCpu) {
  const ConvGeom g = geom(2, 3, 4, 9, 7, 3, 3, 1, 1);
  Twin<float> x = random(g.input().count()), w = random(g.weight_count() + 1);
  Twin<float> y = output(g.conv_output().count());
  cpu_->conv2d_forward(g, x.c(), w.c() + 1, nullptr, Act::None, y.c());
  gpu_->conv2d_forward(g, x.g(), w.g() + 1, nullptr, Act::None, y.g());
  HEP2_EXPECT_CLOSE(y);
}

// With TF32 allowed, cuDNN and cuBLAS may use tensor cores, whose inputs keep 10 mantissa bits
// (relative rounding 2^-11, about 5e-4 per product). The results must still be the same function:
// norm-wise within 3e-3 of the FP32 CPU reference, where any indexing or layout error is O(1).
TEST_F(GpuOpsConv, Tf32ModeComputesTheSameFunction) {
  auto tf32 = make_cuda_backend(0, /*allow_tf32=*/true);
  const ConvGeom g = geom(8, 32, 64, 16, 16, 3, 3, 1, 1);
  std::vector<float> hx = random_floats(rng_, g.input().count());
  std::vector<float> hw = random_floats(rng_, g.weight_count());
  Buffer<float> x(*tf32, hx.size()), w(*tf32, hw.size()), y(*tf32, g.conv_output().count());
  tf32->upload(x.data(), hx.data(), hx.size() * sizeof(float));
  tf32->upload(w.data(), hw.data(), hw.size() * sizeof(float));
  tf32->fill(y.data(), y.size(), kNaN);
  tf32->conv2d_forward(g, x.data(), w.data(), nullptr, Act::None, y.data());
  Twin<float> cx = twin(hx), cw = twin(hw), cy = output(g.conv_output().count());
  cpu_->conv2d_forward(g, cx.c(), cw.c(), nullptr, Act::None, cy.c());
  std::vector<float> got = read(*tf32, y), ref = cpu_of(cy);
  double diff = 0, norm = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    diff += (double(got[i]) - ref[i]) * (double(got[i]) - ref[i]);
    norm += double(ref[i]) * ref[i];
  }
  EXPECT_LT(std::sqrt(diff / norm), 3e-3);  // NaN (an unwritten element) fails too
}

// Every tensor of the backward passes at a 4-byte offset (one float past a 256-byte aligned
// allocation), as views into a packed parameter or activation buffer can be: cuDNN must then be
// told the real alignment (the plan cache keys on it) and still find a deterministic engine, and
// the results must not change.
TEST_F(GpuOpsConv, BackwardDataAndFilterOnMisalignedPointersMatchCpu) {
  for (const ConvGeom& g : {geom(2, 3, 4, 9, 7, 3, 3, 1, 1), geom(4, 32, 64, 16, 16, 3, 3, 1, 1),
                            geom(3, 64, 64, 8, 8, 3, 3, 1, 1)}) {
    SCOPED_TRACE(describe(g));
    Twin<float> x = random(g.input().count() + 1), dy = random(g.conv_output().count() + 1);
    Twin<float> w = random(g.weight_count() + 1);
    Twin<float> dx = output(g.input().count() + 1), dw = output(g.weight_count() + 1);
    Twin<float> db = output(size_t(g.c_out) + 1);
    cpu_->conv2d_backward_data(g, dy.c() + 1, w.c() + 1, dx.c() + 1);
    gpu_->conv2d_backward_data(g, dy.g() + 1, w.g() + 1, dx.g() + 1);
    cpu_->conv2d_backward_filter(g, x.c() + 1, dy.c() + 1, dw.c() + 1, db.c() + 1);
    gpu_->conv2d_backward_filter(g, x.g() + 1, dy.g() + 1, dw.g() + 1, db.g() + 1);
    // Element 0 of each output is outside the view: NaN on both sides, so drop it.
    auto view = [](std::vector<float> v) { return std::vector<float>(v.begin() + 1, v.end()); };
    EXPECT_TRUE(close(view(gpu_of(dx)), view(cpu_of(dx)))) << "dx";
    EXPECT_TRUE(close(view(gpu_of(dw)), view(cpu_of(dw)))) << "dw";
    EXPECT_TRUE(close(view(gpu_of(db)), view(cpu_of(db)))) << "db";
    EXPECT_TRUE(std::isnan(gpu_of(dx)[0]) && std::isnan(gpu_of(dw)[0])) << "wrote before the view";
  }
}

// ---- TF32 (--tf32) ------------------------------------------------------------------------------
// A test that TF32 is really used when allowed, and really not used otherwise. Inputs are
// 1 + 2^-12 (exact in FP32; TF32 keeps 10 mantissa bits and reads 1) and the other operand is 1
// (exact in both), so every output is a whole number of taps times the input: FP32 math gives
// that exactly (the CPU reference), TF32 math falls short by 2^-12 / (1 + 2^-12) = 2.44e-4 in
// EVERY element. A random-data comparison could not tell the two apart from a wrong tolerance.
enum class Math { Fp32, Tf32 };

::testing::AssertionResult math_signature(const std::vector<float>& got,
                                          const std::vector<float>& ref, Math math) {
  if (got.size() != ref.size() || ref.empty())
    return ::testing::AssertionFailure() << "sizes " << got.size() << " vs " << ref.size();
  const double shortfall = std::ldexp(1.0, -12) / (1 + std::ldexp(1.0, -12));
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double r = (double(ref[i]) - double(got[i])) / double(ref[i]);  // NaN fails both
    const bool ok = math == Math::Tf32 ? (r > 0.8 * shortfall && r < 1.2 * shortfall)
                                       : std::fabs(r) < 0.1 * shortfall;
    if (!ok && bad++ == 0) first = i;
  }
  if (bad)
    return ::testing::AssertionFailure()
           << bad << " of " << ref.size() << " elements lack the "
           << (math == Math::Tf32 ? "TF32" : "FP32") << " signature (first [" << first
           << "]: gpu " << got[first] << ", fp32 " << ref[first] << ", relative shortfall "
           << (double(ref[first]) - got[first]) / ref[first] << ", TF32's is " << shortfall << ")";
  return ::testing::AssertionSuccess();
}

class GpuTf32 : public GpuFixture {
 protected:
  static constexpr float kInput = 1.f + 1.f / 4096.f;  // 1 + 2^-12
  // The same op on the CPU (FP32), on the GPU with TF32 off (gpu_) and with TF32 allowed.
  template <class Run>
  void expect_signatures(size_t out_count, Run&& run) {
    auto tf32 = make_cuda_backend(0, /*allow_tf32=*/true);
    std::vector<float> ref = run(*cpu_, out_count);
    EXPECT_TRUE(math_signature(run(*gpu_, out_count), ref, Math::Fp32)) << "TF32 off";
    EXPECT_TRUE(math_signature(run(*tf32, out_count), ref, Math::Tf32)) << "TF32 allowed";
  }
  // Uploads `count` copies of v to a new buffer of be.
  static Buffer<float> filled(Backend& be, size_t count, float v) {
    Buffer<float> b(be, count);
    be.fill(b.data(), count, v);
    return b;
  }
  static std::vector<float> result(Backend& be, const Buffer<float>& b) {
    std::vector<float> host(b.size());
    be.download(host.data(), b.data(), b.bytes());
    return host;
  }
};

TEST_F(GpuTf32, CudnnConvolutionsUseTf32ExactlyWhenAllowed) {
  const ConvGeom g = geom(8, 32, 64, 16, 16, 3, 3, 1, 1);  // the DCAE's second encoder layer
  const size_t nx = g.input().count(), nw = g.weight_count(), ny = g.conv_output().count();
  SCOPED_TRACE("forward");
  expect_signatures(ny, [&](Backend& be, size_t n) {
    Buffer<float> x = filled(be, nx, kInput), w = filled(be, nw, 1.f), y = filled(be, n, kNaN);
    be.conv2d_forward(g, x.data(), w.data(), nullptr, Act::None, y.data());
    return result(be, y);
  });
  SCOPED_TRACE("backward data");
  expect_signatures(nx, [&](Backend& be, size_t n) {
    Buffer<float> dy = filled(be, ny, kInput), w = filled(be, nw, 1.f), dx = filled(be, n, kNaN);
    be.conv2d_backward_data(g, dy.data(), w.data(), dx.data());
    return result(be, dx);
  });
  SCOPED_TRACE("backward filter");
  expect_signatures(nw, [&](Backend& be, size_t n) {
    Buffer<float> x = filled(be, nx, kInput), dy = filled(be, ny, 1.f), dw = filled(be, n, kNaN);
    be.conv2d_backward_filter(g, x.data(), dy.data(), dw.data(), nullptr);
    return result(be, dw);
  });
}

TEST_F(GpuTf32, CublasDenseLayersUseTf32ExactlyWhenAllowed) {
  const int batch = 64, in = 1024, out = 128;
  const size_t nx = size_t(batch) * in, nw = size_t(out) * in, ny = size_t(batch) * out;
  SCOPED_TRACE("forward");
  expect_signatures(ny, [&](Backend& be, size_t n) {
    Buffer<float> x = filled(be, nx, kInput), w = filled(be, nw, 1.f), y = filled(be, n, kNaN);
    be.dense_forward(batch, in, out, x.data(), w.data(), nullptr, Act::None, y.data());
    return result(be, y);
  });
  SCOPED_TRACE("backward data");
  expect_signatures(nx, [&](Backend& be, size_t n) {
    Buffer<float> x = filled(be, nx, 0.f), w = filled(be, nw, 1.f), dy = filled(be, ny, kInput);
    Buffer<float> dx = filled(be, n, kNaN), dw = filled(be, nw, kNaN);  // dw is always written
    be.dense_backward(batch, in, out, x.data(), w.data(), dy.data(), dx.data(), dw.data(),
                      nullptr);
    return result(be, dx);
  });
  SCOPED_TRACE("backward weights");
  expect_signatures(nw, [&](Backend& be, size_t n) {
    Buffer<float> x = filled(be, nx, kInput), w = filled(be, nw, 1.f), dy = filled(be, ny, 1.f);
    Buffer<float> dw = filled(be, n, kNaN);
    be.dense_backward(batch, in, out, x.data(), w.data(), dy.data(), nullptr, dw.data(), nullptr);
    return result(be, dw);
  });
}

// ---- transposed convolution (hand-written kernels) ----------------------------------------------
using GpuOpsDeconv = GpuFixture;

TEST_F(GpuOpsDeconv, ForwardWithAndWithoutBiasAndReluMatchesCpu) {
  for (const ConvGeom& g : deconv_cases()) {
    SCOPED_TRACE(describe(g));
    Twin<float> x = random(g.input().count()), w = random(g.weight_count());
    Twin<float> b = random(size_t(g.c_out), -0.25, 0.25);  // small: ReLU keeps most outputs
    Twin<float> y = output(g.deconv_output().count());
    cpu_->deconv2d_forward(g, x.c(), w.c(), b.c(), Act::Relu, y.c());
    gpu_->deconv2d_forward(g, x.g(), w.g(), b.g(), Act::Relu, y.g());
    HEP2_EXPECT_CLOSE(y);
    poison(y);
    cpu_->deconv2d_forward(g, x.c(), w.c(), nullptr, Act::None, y.c());
    gpu_->deconv2d_forward(g, x.g(), w.g(), nullptr, Act::None, y.g());
    HEP2_EXPECT_CLOSE(y);
  }
}

TEST_F(GpuOpsDeconv, BackwardDataMatchesCpu) {
  for (const ConvGeom& g : deconv_cases()) {
    SCOPED_TRACE(describe(g));
    Twin<float> dy = random(g.deconv_output().count()), w = random(g.weight_count());
    Twin<float> dx = output(g.input().count());
    cpu_->deconv2d_backward_data(g, dy.c(), w.c(), dx.c());
    gpu_->deconv2d_backward_data(g, dy.g(), w.g(), dx.g());
    HEP2_EXPECT_CLOSE(dx);
  }
}

TEST_F(GpuOpsDeconv, BackwardFilterAndBiasMatchCpu) {
  for (const ConvGeom& g : deconv_cases()) {
    SCOPED_TRACE(describe(g));
    Twin<float> x = random(g.input().count()), dy = random(g.deconv_output().count());
    Twin<float> dw = output(g.weight_count()), db = output(size_t(g.c_out));
    cpu_->deconv2d_backward_filter(g, x.c(), dy.c(), dw.c(), db.c());
    gpu_->deconv2d_backward_filter(g, x.g(), dy.g(), dw.g(), db.g());
    HEP2_EXPECT_CLOSE(dw);
    HEP2_EXPECT_CLOSE(db);
    poison(dw);
    gpu_->deconv2d_backward_filter(g, x.g(), dy.g(), dw.g(), nullptr);
    HEP2_EXPECT_CLOSE(dw);
  }
}

// The transposed convolution is the adjoint of the convolution with the same weights:
// <conv(x), y> = <x, deconv(y)>, checked on the GPU alone (cuDNN conv against our kernels).
TEST_F(GpuOpsDeconv, ForwardIsTheAdjointOfCudnnConvolution) {
  const ConvGeom conv = geom(2, 6, 5, 16, 12, 4, 4, 2, 1);
  ConvGeom de = geom(2, 5, 6, conv.conv_out_h(), conv.conv_out_w(), 4, 4, 2, 1);
  ASSERT_EQ(de.deconv_out_h(), conv.h);
  ASSERT_EQ(de.deconv_out_w(), conv.w);
  Twin<float> x = random(conv.input().count()), w = random(conv.weight_count());
  Twin<float> y = random(conv.conv_output().count());
  Twin<float> cx = output(conv.conv_output().count()), dy = output(conv.input().count());
  gpu_->conv2d_forward(conv, x.g(), w.g(), nullptr, Act::None, cx.g());
  gpu_->deconv2d_forward(de, y.g(), w.g(), nullptr, Act::None, dy.g());
  std::vector<float> hx = gpu_of(x), hy = gpu_of(y), hcx = gpu_of(cx), hdy = gpu_of(dy);
  double lhs = 0, rhs = 0, scale = 0;
  for (size_t i = 0; i < hy.size(); ++i) {
    lhs += double(hcx[i]) * hy[i];
    scale += std::fabs(double(hcx[i]) * hy[i]);
  }
  for (size_t i = 0; i < hx.size(); ++i) rhs += double(hx[i]) * hdy[i];
  EXPECT_NEAR(lhs, rhs, kRel * scale);
}

// ---- pooling and up-sampling --------------------------------------------------------------------
using GpuOpsPool = GpuFixture;

const Shape4 kPoolShapes[] = {
    {1, 1, 7, 5}, {2, 3, 8, 6}, {3, 2, 5, 9}, {1, 4, 2, 3}, {2, 1, 33, 17}};

TEST_F(GpuOpsPool, MaxPoolForwardAndArgmaxAreExact) {
  for (const Shape4& in : kPoolShapes) {
    SCOPED_TRACE(in.str());
    Twin<float> x = random(in.count());
    const size_t out = size_t(in.n) * in.c * (in.h / 2) * (in.w / 2);
    Twin<float> y = output(out);
    Twin<int32_t> arg = int_output(out);
    cpu_->maxpool2_forward(in, x.c(), y.c(), arg.c());
    gpu_->maxpool2_forward(in, x.g(), y.g(), arg.g());
    HEP2_EXPECT_SAME(y);
    HEP2_EXPECT_SAME(arg);
  }
}

TEST_F(GpuOpsPool, MaxPoolTiesGoToTheFirstElementInRowMajorOrder) {
  // Values from {0, 1}: most windows hold ties.
  const Shape4 in{2, 3, 6, 7};
  std::vector<float> host(in.count());
  for (float& v : host) v = float(rng_.below(2));
  Twin<float> x = twin(host);
  const size_t out = size_t(in.n) * in.c * 3 * 3;
  Twin<float> y = output(out);
  Twin<int32_t> arg = int_output(out);
  cpu_->maxpool2_forward(in, x.c(), y.c(), arg.c());
  gpu_->maxpool2_forward(in, x.g(), y.g(), arg.g());
  HEP2_EXPECT_SAME(y);
  HEP2_EXPECT_SAME(arg);
}

TEST_F(GpuOpsPool, MaxPoolBackwardIsExactAndZeroWhereNothingWasRouted) {
  for (const Shape4& in : kPoolShapes) {
    SCOPED_TRACE(in.str());
    Twin<float> x = random(in.count());
    const size_t out = size_t(in.n) * in.c * (in.h / 2) * (in.w / 2);
    Twin<float> y = output(out), dy = random(out), dx = output(in.count());
    Twin<int32_t> arg = int_output(out);
    cpu_->maxpool2_forward(in, x.c(), y.c(), arg.c());
    gpu_->maxpool2_forward(in, x.g(), y.g(), arg.g());
    cpu_->maxpool2_backward(in, dy.c(), arg.c(), dx.c());
    gpu_->maxpool2_backward(in, dy.g(), arg.g(), dx.g());
    HEP2_EXPECT_SAME(dx);
  }
}

TEST_F(GpuOpsPool, UpsampleForwardAndBackwardAreExact) {
  for (const Shape4& in : kPoolShapes) {
    SCOPED_TRACE(in.str());
    Twin<float> x = random(in.count()), y = output(4 * in.count());
    cpu_->upsample2_forward(in, x.c(), y.c());
    gpu_->upsample2_forward(in, x.g(), y.g());
    HEP2_EXPECT_SAME(y);
    // Both backends group the four-term sum the same way, so even the gradient is exact.
    Twin<float> dy = random(4 * in.count()), dx = output(in.count());
    cpu_->upsample2_backward(in, dy.c(), dx.c());
    gpu_->upsample2_backward(in, dy.g(), dx.g());
    HEP2_EXPECT_SAME(dx);
  }
}

// ---- element-wise -------------------------------------------------------------------------------
using GpuOpsElementwise = GpuFixture;

TEST_F(GpuOpsElementwise, ReluIsExactSigmoidIsClose) {
  for (size_t count : {size_t(1), size_t(1000), size_t(300001)}) {
    SCOPED_TRACE(count);
    Twin<float> x = random(count, -8, 8), dy = random(count);
    Twin<float> y = output(count), dx = output(count);
    cpu_->relu_forward(count, x.c(), y.c());
    gpu_->relu_forward(count, x.g(), y.g());
    HEP2_EXPECT_SAME(y);
    cpu_->relu_backward(count, y.c(), dy.c(), dx.c());
    gpu_->relu_backward(count, y.g(), dy.g(), dx.g());
    HEP2_EXPECT_SAME(dx);
    cpu_->sigmoid_forward(count, x.c(), y.c());
    gpu_->sigmoid_forward(count, x.g(), y.g());
    HEP2_EXPECT_CLOSE(y);
    // The backward from the same y on both sides, so only the formula is compared.
    Twin<float> s = twin(cpu_of(y));
    cpu_->sigmoid_backward(count, s.c(), dy.c(), dx.c());
    gpu_->sigmoid_backward(count, s.g(), dy.g(), dx.g());
    HEP2_EXPECT_CLOSE(dx);
  }
}

TEST_F(GpuOpsElementwise, InPlaceEqualsOutOfPlace) {
  const size_t count = 5003;
  Twin<float> x = random(count, -3, 3), y = output(count);
  gpu_->relu_forward(count, x.g(), y.g());
  gpu_->relu_forward(count, x.g(), x.g());
  EXPECT_TRUE(same(gpu_of(x), gpu_of(y)));
}

// ---- dense (cuBLAS) -----------------------------------------------------------------------------
using GpuOpsDense = GpuFixture;

struct DenseCase {
  int batch, in, out;
};
const DenseCase kDenseCases[] = {{1, 7, 3}, {5, 33, 17}, {16, 300, 50}, {3, 4096, 250}};

TEST_F(GpuOpsDense, ForwardMatchesCpu) {
  for (const DenseCase& d : kDenseCases) {
    SCOPED_TRACE(std::to_string(d.batch) + "x" + std::to_string(d.in) + "->" +
                 std::to_string(d.out));
    Twin<float> x = random(size_t(d.batch) * d.in), w = random(size_t(d.out) * d.in);
    Twin<float> b = random(size_t(d.out), -0.25, 0.25), y = output(size_t(d.batch) * d.out);
    cpu_->dense_forward(d.batch, d.in, d.out, x.c(), w.c(), b.c(), Act::Relu, y.c());
    gpu_->dense_forward(d.batch, d.in, d.out, x.g(), w.g(), b.g(), Act::Relu, y.g());
    HEP2_EXPECT_CLOSE(y);
    poison(y);
    cpu_->dense_forward(d.batch, d.in, d.out, x.c(), w.c(), nullptr, Act::None, y.c());
    gpu_->dense_forward(d.batch, d.in, d.out, x.g(), w.g(), nullptr, Act::None, y.g());
    HEP2_EXPECT_CLOSE(y);
  }
}

TEST_F(GpuOpsDense, BackwardMatchesCpu) {
  for (const DenseCase& d : kDenseCases) {
    SCOPED_TRACE(std::to_string(d.batch) + "x" + std::to_string(d.in) + "->" +
                 std::to_string(d.out));
    Twin<float> x = random(size_t(d.batch) * d.in), w = random(size_t(d.out) * d.in);
    Twin<float> dy = random(size_t(d.batch) * d.out);
    Twin<float> dx = output(size_t(d.batch) * d.in), dw = output(size_t(d.out) * d.in);
    Twin<float> db = output(size_t(d.out));
    cpu_->dense_backward(d.batch, d.in, d.out, x.c(), w.c(), dy.c(), dx.c(), dw.c(), db.c());
    gpu_->dense_backward(d.batch, d.in, d.out, x.g(), w.g(), dy.g(), dx.g(), dw.g(), db.g());
    HEP2_EXPECT_CLOSE(dx);
    HEP2_EXPECT_CLOSE(dw);
    HEP2_EXPECT_CLOSE(db);
    // The first layer skips dx; dx must then be left alone.
    poison(dx);
    poison(dw);
    gpu_->dense_backward(d.batch, d.in, d.out, x.g(), w.g(), dy.g(), nullptr, dw.g(), nullptr);
    HEP2_EXPECT_CLOSE(dw);
    std::vector<float> untouched = gpu_of(dx);
    EXPECT_TRUE(
        std::all_of(untouched.begin(), untouched.end(), [](float v) { return std::isnan(v); }));
  }
}

// ---- losses and the classifier head -------------------------------------------------------------
using GpuOpsLoss = GpuFixture;

TEST_F(GpuOpsLoss, SigmoidMseMatchesCpu) {
  // 3e6 values: more than kLossPartials blocks' worth, so the grid-stride and partial paths run.
  for (size_t count : {size_t(1), size_t(37), size_t(4096 * 3), size_t(3000000)}) {
    SCOPED_TRACE(count);
    Twin<float> z = random(count, -6, 6), target = random(count, 0, 1);
    Twin<float> recon = output(count), dz = output(count), loss = output(1);
    cpu_->sigmoid_mse(count, z.c(), target.c(), recon.c(), dz.c(), loss.c());
    gpu_->sigmoid_mse(count, z.g(), target.g(), recon.g(), dz.g(), loss.g());
    HEP2_EXPECT_CLOSE(recon);
    HEP2_EXPECT_CLOSE(dz);
    HEP2_EXPECT_CLOSE(loss);
    // Loss alone (evaluation): recon and dz not wanted.
    poison(loss);
    gpu_->sigmoid_mse(count, z.g(), target.g(), nullptr, nullptr, loss.g());
    HEP2_EXPECT_CLOSE(loss);
  }
}

TEST_F(GpuOpsLoss, SigmoidBceGradMatchesCpuExactly) {
  for (size_t count : {size_t(1), size_t(37), size_t(3000000)}) {
    SCOPED_TRACE(count);
    Twin<float> s = random(count, 0, 1), target = random(count, 0, 1), dz = output(count);
    cpu_->sigmoid_bce_grad(count, s.c(), target.c(), dz.c());
    gpu_->sigmoid_bce_grad(count, s.g(), target.g(), dz.g());
    HEP2_EXPECT_SAME(dz);  // one subtraction and one product: the same bits
  }
}

TEST_F(GpuOpsLoss, SigmoidMsePerSampleMatchesCpu) {
  for (int batch : {1, 7, 300}) {
    const size_t per = 64 * 64 + 3;
    SCOPED_TRACE(batch);
    Twin<float> z = random(size_t(batch) * per, -4, 4), target = random(size_t(batch) * per, 0, 1);
    Twin<float> out = output(size_t(batch));
    cpu_->sigmoid_mse_per_sample(batch, per, z.c(), target.c(), out.c());
    gpu_->sigmoid_mse_per_sample(batch, per, z.g(), target.g(), out.g());
    HEP2_EXPECT_CLOSE(out);
  }
}

TEST_F(GpuOpsLoss, SoftmaxCrossEntropyMatchesCpu) {
  for (int batch : {1, 7, 300}) {
    for (int classes : {1, 5, 6, 13}) {
      SCOPED_TRACE(std::to_string(batch) + " x " + std::to_string(classes));
      Twin<float> z = random(size_t(batch) * classes, -5, 5);
      Twin<int32_t> labels = twin(test::random_indices(rng_, size_t(batch), classes));
      Twin<float> probs = output(size_t(batch) * classes), dz = output(size_t(batch) * classes);
      Twin<float> loss = output(1);
      cpu_->softmax_xent(batch, classes, z.c(), labels.c(), probs.c(), dz.c(), loss.c());
      gpu_->softmax_xent(batch, classes, z.g(), labels.g(), probs.g(), dz.g(), loss.g());
      HEP2_EXPECT_CLOSE(probs);
      HEP2_EXPECT_CLOSE(dz);
      HEP2_EXPECT_CLOSE(loss);
      poison(probs);
      cpu_->softmax(batch, classes, z.c(), probs.c());
      gpu_->softmax(batch, classes, z.g(), probs.g());
      HEP2_EXPECT_CLOSE(probs);
    }
  }
}

TEST_F(GpuOpsLoss, ArgmaxRowsIsExactAndTiesGoToTheFirstIndex) {
  const int batch = 301, classes = 6;
  std::vector<float> host = random_floats(rng_, size_t(batch) * classes);
  // Every third row gets a tie for its maximum.
  for (int i = 0; i < batch; i += 3) {
    float* row = host.data() + size_t(i) * classes;
    row[1] = row[4] = 2.f;
  }
  Twin<float> z = twin(host);
  Twin<int32_t> out = int_output(size_t(batch));
  cpu_->argmax_rows(batch, classes, z.c(), out.c());
  gpu_->argmax_rows(batch, classes, z.g(), out.g());
  HEP2_EXPECT_SAME(out);
  std::vector<int32_t> got = gpu_of(out);
  EXPECT_EQ(got[0], 1);
}

// ---- dropout ------------------------------------------------------------------------------------
using GpuOpsDropout = GpuFixture;

TEST_F(GpuOpsDropout, MaskOutputAndGradientAreExact) {
  for (float p : {0.f, 0.25f, 0.5f}) {
    for (size_t count : {size_t(1), size_t(77777)}) {
      SCOPED_TRACE(std::to_string(p) + " / " + std::to_string(count));
      const uint64_t seed = 0xC0FFEEull + count;
      Twin<float> x = random(count), mask = output(count), y = output(count);
      cpu_->dropout_forward(count, p, seed, x.c(), mask.c(), y.c());
      gpu_->dropout_forward(count, p, seed, x.g(), mask.g(), y.g());
      HEP2_EXPECT_SAME(mask);
      HEP2_EXPECT_SAME(y);
      Twin<float> dy = random(count), dx = output(count);
      cpu_->dropout_backward(count, mask.c(), dy.c(), dx.c());
      gpu_->dropout_backward(count, mask.g(), dy.g(), dx.g());
      HEP2_EXPECT_SAME(dx);
    }
  }
}

// ---- optimizers ---------------------------------------------------------------------------------
using GpuOpsOptim = GpuFixture;

TEST_F(GpuOpsOptim, AdamStepsMatchCpu) {
  const size_t count = 100003;
  Twin<float> w = random(count), m = twin(std::vector<float>(count, 0.f));
  Twin<float> v = twin(std::vector<float>(count, 0.f));
  math::AdamHyper h;
  h.lr = 1e-3f;
  h.weight_decay = 1e-2f;
  for (int t = 1; t <= 3; ++t) {
    h.bc1 = 1.f - std::pow(h.beta1, float(t));
    h.bc2 = 1.f - std::pow(h.beta2, float(t));
    Twin<float> g = random(count);
    cpu_->adam_step(count, w.c(), g.c(), m.c(), v.c(), h);
    gpu_->adam_step(count, w.g(), g.g(), m.g(), v.g(), h);
  }
  HEP2_EXPECT_CLOSE(w);
  HEP2_EXPECT_CLOSE(m);
  HEP2_EXPECT_CLOSE(v);
}

TEST_F(GpuOpsOptim, SgdStepsMatchCpu) {
  const size_t count = 4097;
  Twin<float> w = random(count), buf = twin(std::vector<float>(count, 0.f));
  math::SgdHyper h;
  h.lr = 0.05f;
  h.weight_decay = 5e-4f;
  for (int t = 0; t < 3; ++t) {
    Twin<float> g = random(count);
    cpu_->sgd_step(count, w.c(), g.c(), buf.c(), h);
    gpu_->sgd_step(count, w.g(), g.g(), buf.g(), h);
  }
  HEP2_EXPECT_CLOSE(w);
  HEP2_EXPECT_CLOSE(buf);
}

// ---- data ---------------------------------------------------------------------------------------
using GpuOpsGather = GpuFixture;

TEST_F(GpuOpsGather, BatchWithAndWithoutAugmentationIsExact) {
  const int dataset = 23, batch = 19;
  for (Shape4 sample : {Shape4{1, 2, 9, 9}, Shape4{1, 1, 64, 64}, Shape4{1, 3, 4, 6}}) {
    SCOPED_TRACE(sample.str());
    Twin<float> data = random(size_t(dataset) * sample.per_sample());
    // Indices with repeats, in no order.
    Twin<int32_t> index = twin(test::random_indices(rng_, size_t(batch), dataset));
    Twin<float> out = output(size_t(batch) * sample.per_sample());
    AugmentSpec none;
    cpu_->gather_batch(sample, data.c(), index.c(), batch, none, out.c());
    gpu_->gather_batch(sample, data.g(), index.g(), batch, none, out.g());
    HEP2_EXPECT_SAME(out);
    if (sample.h != sample.w) {
      AugmentSpec aug{true, 1, 0};
      EXPECT_THROW(gpu_->gather_batch(sample, data.g(), index.g(), batch, aug, out.g()), Error);
      continue;
    }
    for (uint64_t step : {uint64_t(0), uint64_t(1), uint64_t(123456789)}) {
      AugmentSpec aug{true, 0xABCDEFull, step};
      poison(out);
      cpu_->gather_batch(sample, data.c(), index.c(), batch, aug, out.c());
      gpu_->gather_batch(sample, data.g(), index.g(), batch, aug, out.g());
      HEP2_EXPECT_SAME(out);
    }
    for (int sym = 0; sym < 8; ++sym) {  // the classifier's views: one symmetry for all
      AugmentSpec aug{true, 0xABCDEFull, 0, sym};
      poison(out);
      cpu_->gather_batch(sample, data.c(), index.c(), batch, aug, out.c());
      gpu_->gather_batch(sample, data.g(), index.g(), batch, aug, out.g());
      HEP2_EXPECT_SAME(out);
    }
  }
}

TEST_F(GpuOpsGather, LabelsAreExact) {
  const int batch = 300;
  Twin<int32_t> labels = twin(test::random_indices(rng_, 1000, 6));
  Twin<int32_t> index = twin(test::random_indices(rng_, size_t(batch), 1000));
  Twin<int32_t> out = int_output(size_t(batch));
  cpu_->gather_labels(labels.c(), index.c(), batch, out.c());
  gpu_->gather_labels(labels.g(), index.g(), batch, out.g());
  HEP2_EXPECT_SAME(out);
}

// ---- reductions on the pipeline's own shapes --------------------------------------------------
// The bias gradient of every DCAE layer at the training batch (64) is split over many blocks
// (channel_sum's two passes); the last decoder layer has a single channel, the case that one
// block per channel left to a single block. channel_stats at the texture-feature shapes (encoder
// stages 1-3 of a 64x64 cell, and the odd-sized maps of the smaller readings) stages many blocks'
// worth of items through shared memory, and must keep the CPU's bits.
using GpuOpsReductions = GpuFixture;

TEST_F(GpuOpsReductions, BiasGradientsOfTheDcaeLayersAtBatch64MatchCpu) {
  struct Layer {
    ConvGeom g;
    bool transposed;
  };
  for (const Layer& l : {Layer{geom(64, 1, 32, 64, 64, 3, 3, 1, 1), false},
                         Layer{geom(64, 64, 64, 8, 8, 4, 4, 2, 1), true},
                         Layer{geom(64, 32, 1, 32, 32, 4, 4, 2, 1), true}}) {
    const ConvGeom& g = l.g;
    SCOPED_TRACE(describe(g) + (l.transposed ? " transposed" : ""));
    const size_t out = l.transposed ? g.deconv_output().count() : g.conv_output().count();
    Twin<float> x = random(g.input().count()), dy = random(out);
    Twin<float> dw = output(g.weight_count()), db = output(size_t(g.c_out));
    if (l.transposed) {
      cpu_->deconv2d_backward_filter(g, x.c(), dy.c(), dw.c(), db.c());
      gpu_->deconv2d_backward_filter(g, x.g(), dy.g(), dw.g(), db.g());
    } else {
      cpu_->conv2d_backward_filter(g, x.c(), dy.c(), dw.c(), db.c());
      gpu_->conv2d_backward_filter(g, x.g(), dy.g(), dw.g(), db.g());
    }
    HEP2_EXPECT_CLOSE(db);
    HEP2_EXPECT_CLOSE(dw);
  }
}

TEST_F(GpuOpsReductions, ChannelStatsKeepsTheCpuBitsOnPipelineShapes) {
  struct Maps {
    int batch, channels, positions;
  };
  for (const Maps m : {Maps{64, 32, 32 * 32}, Maps{64, 64, 16 * 16}, Maps{64, 64, 8 * 8},
                       Maps{37, 64, 7 * 7}, Maps{5, 3, 33}, Maps{129, 1, 1}}) {
    SCOPED_TRACE(std::to_string(m.batch) + "x" + std::to_string(m.channels) + "x" +
                 std::to_string(m.positions));
    // ReLU-like maps: a third zeros, the rest over two decades, so the order of additions shows.
    std::vector<float> host(size_t(m.batch) * m.channels * m.positions);
    for (float& v : host)
      v = rng_.uniform(0, 1) < 0.33 ? 0.f : float(rng_.uniform(0, 1) * rng_.uniform(0.1, 10));
    Twin<float> x = twin(host);
    Twin<float> out = random(size_t(m.batch) * 3 * m.channels);  // added to, with a weight
    for (float w : {0.125f, 0.75f}) {
      cpu_->channel_stats(m.batch, m.channels, m.positions, x.c(), w, out.c());
      gpu_->channel_stats(m.batch, m.channels, m.positions, x.g(), w, out.g());
    }
    HEP2_EXPECT_SAME(out);
  }
}

// ---- determinism --------------------------------------------------------------------------------
// Every op with a reduction, run twice on the same inputs, must give the same bits. The shapes are
// large enough for the split paths (deconv backward-filter over several blocks, a loss over many
// partial sums, a multi-block bias gradient).
using GpuOpsDeterminism = GpuFixture;

TEST_F(GpuOpsDeterminism, ReductionsRepeatBitForBit) {
  auto twice = [&](Twin<float>& out, auto&& run) {
    poison(out);
    run();
    std::vector<float> first = gpu_of(out);
    poison(out);
    run();
    EXPECT_TRUE(identical_bits(first, gpu_of(out)));
  };
  {
    const ConvGeom g = geom(32, 32, 16, 16, 16, 4, 4, 2, 1);
    Twin<float> x = random(g.input().count()), dy = random(g.deconv_output().count());
    Twin<float> dw = output(g.weight_count()), db = output(size_t(g.c_out));
    twice(dw, [&] { gpu_->deconv2d_backward_filter(g, x.g(), dy.g(), dw.g(), nullptr); });
    twice(db, [&] { gpu_->deconv2d_backward_filter(g, x.g(), dy.g(), dw.g(), db.g()); });
  }
  {
    const ConvGeom g = geom(32, 16, 32, 32, 32, 3, 3, 1, 1);
    Twin<float> x = random(g.input().count()), dy = random(g.conv_output().count());
    Twin<float> dw = output(g.weight_count()), db = output(size_t(g.c_out));
    twice(dw, [&] { gpu_->conv2d_backward_filter(g, x.g(), dy.g(), dw.g(), nullptr); });
    twice(db, [&] { gpu_->conv2d_backward_filter(g, x.g(), dy.g(), dw.g(), db.g()); });
    Twin<float> w = random(g.weight_count()), dx = output(g.input().count());
    twice(dx, [&] { gpu_->conv2d_backward_data(g, dy.g(), w.g(), dx.g()); });
  }
  {
    const size_t count = 2000000;
    Twin<float> z = random(count, -6, 6), target = random(count, 0, 1), loss = output(1);
    twice(loss, [&] { gpu_->sigmoid_mse(count, z.g(), target.g(), nullptr, nullptr, loss.g()); });
  }
  {
    const int batch = 5000, classes = 6;
    Twin<float> z = random(size_t(batch) * classes, -5, 5), loss = output(1);
    Twin<int32_t> labels = twin(test::random_indices(rng_, size_t(batch), classes));
    twice(loss, [&] {
      gpu_->softmax_xent(batch, classes, z.g(), labels.g(), nullptr, nullptr, loss.g());
    });
  }
  {
    const int batch = 256, in = 4096, out = 250;
    Twin<float> x = random(size_t(batch) * in), w = random(size_t(out) * in);
    Twin<float> dy = random(size_t(batch) * out), dw = output(size_t(out) * in);
    Twin<float> db = output(size_t(out)), dx = output(size_t(batch) * in);
    twice(dw, [&] {
      gpu_->dense_backward(batch, in, out, x.g(), w.g(), dy.g(), nullptr, dw.g(), nullptr);
    });
    twice(db, [&] {
      gpu_->dense_backward(batch, in, out, x.g(), w.g(), dy.g(), nullptr, dw.g(), db.g());
    });
    twice(dx, [&] {
      gpu_->dense_backward(batch, in, out, x.g(), w.g(), dy.g(), dx.g(), dw.g(), nullptr);
    });
  }
}

}  // namespace
}  // namespace hep2
