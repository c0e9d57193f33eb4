// append_rows: a's cells then b's in each view's block; side_by_side: a's columns then b's in
// every row; on the CPU backend with several views.
#include <gtest/gtest.h>

#include <vector>

#include "hep2/backend/backend.h"
#include "hep2/core/error.h"
#include "hep2/pipeline/feature_rows.h"

namespace hep2 {
namespace {

// Feature value of set `s`, view v, cell i, column c: distinct for every row and column.
float value(int s, int v, int i, int c) { return float(s * 1000 + v * 100 + i * 10 + c); }

DeviceFeatures features(Backend& be, int s, int count, int dim, int views) {
  DeviceFeatures f;
  f.count = count;
  f.dim = dim;
  f.views = views;
  std::vector<float> host;
  for (int v = 0; v < views; ++v)
    for (int i = 0; i < count; ++i)
      for (int c = 0; c < dim; ++c) host.push_back(value(s, v, i, c));
  f.values = Buffer<float>(be, host.size());
  be.upload(f.values.data(), host.data(), host.size() * sizeof(float));
  return f;
}

TEST(FeatureRows, EachViewHoldsTheFirstCellsThenTheSecond) {
  auto be = make_cpu_backend(1);
  const int dim = 3, views = 4;
  DeviceFeatures a = features(*be, 1, 5, dim, views), b = features(*be, 2, 2, dim, views);
  a.seconds = 1.5;
  a.images_per_s = 200;
  b.seconds = 0.25;
  b.images_per_s = 50;
  const DeviceFeatures both = append_rows(*be, a, b);
  ASSERT_EQ(both.count, 7);
  ASSERT_EQ(both.dim, dim);
  ASSERT_EQ(both.views, views);
  EXPECT_DOUBLE_EQ(both.seconds, 1.75);
  EXPECT_DOUBLE_EQ(both.images_per_s, 200);
  std::vector<float> host(both.rows() * size_t(dim));
  ASSERT_EQ(both.values.size(), host.size());
  be->download(host.data(), both.values.data(), host.size() * sizeof(float));
  for (int v = 0; v < views; ++v)
    for (int i = 0; i < both.count; ++i)
      for (int c = 0; c < dim; ++c) {
        const float want = i < a.count ? value(1, v, i, c) : value(2, v, i - a.count, c);
        EXPECT_EQ(host[(size_t(v) * size_t(both.count) + size_t(i)) * size_t(dim) + size_t(c)], want)
            << "view " << v << " cell " << i << " column " << c;
      }
}

TEST(FeatureRows, SideBySideEachRowHoldsTheFirstColumnsThenTheSecond) {
  auto be = make_cpu_backend(1);
  const int count = 5, views = 3;
  DeviceFeatures a = features(*be, 1, count, 3, views), b = features(*be, 2, count, 2, views);
  a.seconds = 1.5;
  b.seconds = 0.5;
  const DeviceFeatures both = side_by_side(*be, a, b);
  ASSERT_EQ(both.count, count);
  ASSERT_EQ(both.dim, 5);
  ASSERT_EQ(both.views, views);
  EXPECT_DOUBLE_EQ(both.seconds, 2.0);
  EXPECT_DOUBLE_EQ(both.images_per_s, count / 2.0);
  std::vector<float> host(both.rows() * size_t(both.dim));
  ASSERT_EQ(both.values.size(), host.size());
  be->download(host.data(), both.values.data(), host.size() * sizeof(float));
  for (int v = 0; v < views; ++v)
    for (int i = 0; i < count; ++i)
      for (int c = 0; c < both.dim; ++c) {
        const float want = c < a.dim ? value(1, v, i, c) : value(2, v, i, c - a.dim);
        EXPECT_EQ(host[(size_t(v) * size_t(count) + size_t(i)) * size_t(both.dim) + size_t(c)], want)
            << "view " << v << " cell " << i << " column " << c;
      }
}

TEST(FeatureRows, RefusesFeaturesOfAnotherShape) {
  auto be = make_cpu_backend(1);
  const DeviceFeatures a = features(*be, 1, 2, 3, 2);
  EXPECT_THROW(append_rows(*be, a, features(*be, 2, 2, 4, 2)), Error);
  EXPECT_THROW(append_rows(*be, a, features(*be, 2, 2, 3, 1)), Error);
  EXPECT_THROW(side_by_side(*be, a, features(*be, 2, 3, 3, 2)), Error);  // other cells
  EXPECT_THROW(side_by_side(*be, a, features(*be, 2, 2, 3, 1)), Error);  // other views
}

}  // namespace
}  // namespace hep2
