// One contract for both backends (backend.h): each case runs on the CPU backend (here) and on the
// CUDA backend (skipped without a device; a failure under HEP2_REQUIRE_GPU=1). What a model or the
// pipeline may rely on, whichever backend runs it:
//  - empty batches are refused by every op that needs samples, on both backends alike;
//  - a negative index in an index array is refused: at once on the CPU, at the next
//    synchronisation on the GPU (the kernels flag it in device memory); the backend stays usable;
//  - download() of 0 bytes still waits for the work before it (it reports that work's errors);
//  - copy() of overlapping ranges gives memmove's result.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/arena.h"
#include "hep2/core/error.h"
#include "support/gpu.h"

namespace hep2 {
namespace {

template <class T>
Buffer<T> device(Backend& be, const std::vector<T>& host) {
  Buffer<T> b(be, host.size());
  be.upload(b.data(), host.data(), b.bytes());
  return b;
}

// The op and then a synchronisation must throw an Error (the CPU throws in the op, the GPU at
// the sync); `what` names the case.
void expect_refused(Backend& be, const std::string& what, const std::function<void()>& op) {
  bool threw = false;
  try {
    op();
    be.sync();
  } catch (const Error&) {
    threw = true;
  }
  EXPECT_TRUE(threw) << be.name() << " accepted " << what;
}

void empty_batches_are_refused(Backend& be) {
  std::vector<float> zeros(4096, 0.f);
  Buffer<float> a = device(be, zeros), b = device(be, zeros), c = device(be, zeros);
  Buffer<int32_t> idx = device(be, std::vector<int32_t>(16, 0));
  const Shape4 sample{1, 1, 4, 4};
  expect_refused(be, "gather_batch of 0", [&] {
    be.gather_batch(sample, a.data(), idx.data(), 0, AugmentSpec{}, b.data());
  });
  expect_refused(be, "gather_labels of 0",
                 [&] { be.gather_labels(idx.data(), idx.data(), 0, idx.data()); });
  expect_refused(be, "dense_forward of 0", [&] {
    be.dense_forward(0, 4, 3, a.data(), b.data(), nullptr, Act::None, c.data());
  });
  expect_refused(be, "dense_backward of 0", [&] {
    be.dense_backward(0, 4, 3, a.data(), b.data(), c.data(), nullptr, a.data(), b.data());
  });
  expect_refused(be, "softmax of 0", [&] { be.softmax(0, 3, a.data(), b.data()); });
  expect_refused(be, "softmax_xent of 0", [&] {
    be.softmax_xent(0, 3, a.data(), idx.data(), b.data(), c.data(), a.data());
  });
  expect_refused(be, "argmax_rows of 0", [&] { be.argmax_rows(0, 3, a.data(), idx.data()); });
  expect_refused(be, "sigmoid_mse_per_sample of 0", [&] {
    be.sigmoid_mse_per_sample(0, 16, a.data(), b.data(), c.data());
  });
  expect_refused(be, "sigmoid_mse of 0 values", [&] {
    be.sigmoid_mse(0, a.data(), b.data(), nullptr, nullptr, c.data());
  });
  expect_refused(be, "maxpool2_forward of 0",
                 [&] { be.maxpool2_forward({0, 1, 4, 4}, a.data(), b.data(), idx.data()); });
  expect_refused(be, "upsample2_forward of 0",
                 [&] { be.upsample2_forward({0, 1, 4, 4}, a.data(), b.data()); });
  ConvGeom g{0, 1, 4, 4, 2, 3, 3, 1, 1};  // n = 0
  expect_refused(be, "conv2d_forward of 0", [&] {
    be.conv2d_forward(g, a.data(), b.data(), nullptr, Act::None, c.data());
  });
  ConvGeom d{0, 2, 4, 4, 1, 4, 4, 2, 1};
  expect_refused(be, "deconv2d_forward of 0", [&] {
    be.deconv2d_forward(d, a.data(), b.data(), nullptr, Act::None, c.data());
  });
  expect_refused(be, "standardize_columns of -1 rows", [&] {
    be.standardize_columns(-1, 4, a.data(), b.data(), c.data(), a.data());
  });
}

void negative_indices_are_refused(Backend& be) {
  const Shape4 sample{1, 1, 2, 2};
  std::vector<float> data(8 * 4);
  std::iota(data.begin(), data.end(), 0.f);
  Buffer<float> d = device(be, data), out = device(be, std::vector<float>(4 * 4, 0.f));
  Buffer<int32_t> bad = device(be, std::vector<int32_t>{1, -1, 2, 0});
  Buffer<int32_t> good = device(be, std::vector<int32_t>{3, 1, 2, 0});
  Buffer<int32_t> labels = device(be, std::vector<int32_t>{5, 6, 7, 8, 9, 10, 11, 12});
  Buffer<int32_t> lout = device(be, std::vector<int32_t>(4, 0));
  Buffer<double> sum(be, 4), sq(be, 4);
  expect_refused(be, "a negative gather index", [&] {
    be.gather_batch(sample, d.data(), bad.data(), 4, AugmentSpec{}, out.data());
  });
  expect_refused(be, "a negative label index",
                 [&] { be.gather_labels(labels.data(), bad.data(), 4, lout.data()); });
  expect_refused(be, "a negative column_sums row", [&] {
    be.column_sums(4, d.data(), bad.data(), 4, sum.data(), sq.data());
  });
  // The refusal is not sticky: good indices work afterwards and report nothing.
  be.gather_batch(sample, d.data(), good.data(), 4, AugmentSpec{}, out.data());
  be.gather_labels(labels.data(), good.data(), 4, lout.data());
  std::vector<float> got(16);
  std::vector<int32_t> got_labels(4);
  be.download(got.data(), out.data(), out.bytes());
  be.download(got_labels.data(), lout.data(), lout.bytes());
  EXPECT_EQ(got[0], 12.f);
  EXPECT_EQ(got[4], 4.f);
  EXPECT_EQ(got_labels, (std::vector<int32_t>{8, 6, 7, 5}));
}

void empty_download_waits(Backend& be) {
  const Shape4 sample{1, 1, 2, 2};
  Buffer<float> d = device(be, std::vector<float>(16, 1.f));
  Buffer<float> out = device(be, std::vector<float>(16, 0.f));
  Buffer<int32_t> bad = device(be, std::vector<int32_t>{0, -3});
  float host = 0.f;
  bool threw = false;
  try {
    be.gather_batch(sample, d.data(), bad.data(), 2, AugmentSpec{}, out.data());
    be.download(&host, out.data(), 0);  // waits for the gather, so sees its refusal
  } catch (const Error&) {
    threw = true;
  }
  EXPECT_TRUE(threw) << be.name() << ": download of 0 bytes did not wait for the op before it";
}

void overlapping_copy_is_memmove(Backend& be) {
  const size_t n = 100000;  // large enough that a copy engine works in pieces
  std::vector<float> host(n);
  std::iota(host.begin(), host.end(), 0.f);
  for (long shift : {1L, 1000L, -1L, -1000L, 0L}) {
    SCOPED_TRACE(shift);
    Buffer<float> b = device(be, host);
    const size_t count = n - 2000;  // [1000, n - 1000) moved by up to 1000 either way
    float* src = b.data() + 1000;
    float* dst = src + shift;
    be.copy(dst, src, count * sizeof(float));
    std::vector<float> want = host, got(n);
    std::memmove(want.data() + 1000 + shift, want.data() + 1000, count * sizeof(float));
    be.download(got.data(), b.data(), b.bytes());
    EXPECT_EQ(got, want);
  }
}

std::unique_ptr<Backend> cpu() { return make_cpu_backend(2); }

TEST(CpuBackendContract, EmptyBatchesAreRefused) { empty_batches_are_refused(*cpu()); }
TEST(CpuBackendContract, NegativeIndicesAreRefused) { negative_indices_are_refused(*cpu()); }
TEST(CpuBackendContract, EmptyDownloadWaits) { empty_download_waits(*cpu()); }
TEST(CpuBackendContract, OverlappingCopyIsMemmove) { overlapping_copy_is_memmove(*cpu()); }

TEST(GpuBackendContract, EmptyBatchesAreRefused) {
  HEP2_REQUIRE_CUDA_DEVICE();
  empty_batches_are_refused(*make_cuda_backend(0));
}
TEST(GpuBackendContract, NegativeIndicesAreRefused) {
  HEP2_REQUIRE_CUDA_DEVICE();
  negative_indices_are_refused(*make_cuda_backend(0));
}
TEST(GpuBackendContract, EmptyDownloadWaits) {
  HEP2_REQUIRE_CUDA_DEVICE();
  empty_download_waits(*make_cuda_backend(0));
}
TEST(GpuBackendContract, OverlappingCopyIsMemmove) {
  HEP2_REQUIRE_CUDA_DEVICE();
  overlapping_copy_is_memmove(*make_cuda_backend(0));
}

}  // namespace
}  // namespace hep2
