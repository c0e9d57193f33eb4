// Tests of the .npy reader and writer: round trips, files written by numpy itself (fixtures from
// tools/reference/make_fixtures.py), and refusals that name the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"
#include "hep2/io/npy.h"
#include "support/golden.h"

namespace fs = std::filesystem;
using hep2::golden::fixture_path;

namespace {

// A fresh directory per test, removed afterwards.
class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("hep2_npy_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// Runs f and checks that it throws hep2::Error whose message holds every one of `parts`.
::testing::AssertionResult throws_mentioning(const std::function<void()>& f,
                                             const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const hep2::Error& e) {
    const std::string what = e.what();
    for (const auto& p : parts)
      if (what.find(p) == std::string::npos)
        return ::testing::AssertionFailure() << "message '" << what << "' lacks '" << p << "'";
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no hep2::Error thrown";
}

std::vector<uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<uint32_t> b(v.size());
  std::memcpy(b.data(), v.data(), v.size() * 4);
  return b;
}

}  // namespace

TEST_F(NpyTest, RoundTripF32KeepsEveryBitAndTheShape) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {1.5f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::denorm_min(), 3.0e38f, -1e-30f};
  for (int i = 0; i < 16; ++i) v.push_back(float(i) * 0.1f - 0.7f);  // 24 values: 2 x 3 x 4
  hep2::npy::save(path("a.npy"), v.data(), {2, 3, 4});
  hep2::npy::Array a = hep2::npy::load(path("a.npy"));
  EXPECT_EQ(a.dtype, "<f4");
  EXPECT_EQ(a.shape, (std::vector<size_t>{2, 3, 4}));
  EXPECT_EQ(a.count(), 24u);
  ASSERT_EQ(a.bytes.size(), 24u * 4);
  EXPECT_EQ(bits_of(a.to_f32()), bits_of(v));
}

TEST_F(NpyTest, RoundTripI32) {
  std::vector<int32_t> v = {0, -1, 7, std::numeric_limits<int32_t>::min(),
                            std::numeric_limits<int32_t>::max()};
  hep2::npy::save(path("i.npy"), v.data(), {5});
  hep2::npy::Array a = hep2::npy::load(path("i.npy"));
  EXPECT_EQ(a.dtype, "<i4");
  EXPECT_EQ(a.shape, (std::vector<size_t>{5}));
  EXPECT_EQ(a.to_i32(), v);
  // Integers are meaningful as floats (e.g. labels plotted), so to_f32 converts them.
  std::vector<float> f = a.to_f32();
  EXPECT_EQ(f[2], 7.0f);
  EXPECT_EQ(f[1], -1.0f);
}

TEST_F(NpyTest, RoundTripZeroDimensionalAndEmptyShapes) {
  float scalar = 2.5f;
  hep2::npy::save(path("s.npy"), &scalar, {});
  hep2::npy::Array s = hep2::npy::load(path("s.npy"));
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.count(), 1u);
  EXPECT_EQ(s.to_f32(), std::vector<float>{2.5f});

  hep2::npy::save(path("e.npy"), static_cast<const float*>(nullptr), {0, 3});
  hep2::npy::Array e = hep2::npy::load(path("e.npy"));
  EXPECT_EQ(e.shape, (std::vector<size_t>{0, 3}));
  EXPECT_EQ(e.count(), 0u);
  EXPECT_TRUE(e.to_f32().empty());
}

// What numpy requires of a version 1.0 file: magic, version, little-endian header length, the
// header padded with spaces to a 64-byte boundary and ended by a newline.
TEST_F(NpyTest, SavedHeaderFollowsTheNumpyLayout) {
  std::vector<float> v(5, 1.0f);
  hep2::npy::save(path("h.npy"), v.data(), {5});
  const std::string raw = hep2::read_file(path("h.npy"));
  ASSERT_GE(raw.size(), 10u);
  EXPECT_EQ(raw.substr(0, 6), std::string("\x93NUMPY", 6));
  EXPECT_EQ(raw[6], 1);
  EXPECT_EQ(raw[7], 0);
  const size_t hlen = size_t(uint8_t(raw[8])) | size_t(uint8_t(raw[9])) << 8;
  EXPECT_EQ((10 + hlen) % 64, 0u);
  ASSERT_EQ(raw.size(), 10 + hlen + 5 * 4);
  const std::string header = raw.substr(10, hlen);
  EXPECT_EQ(header.back(), '\n');
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_NE(header.find("'fortran_order': False"), std::string::npos) << header;
  EXPECT_NE(header.find("'shape': (5,)"), std::string::npos) << header;
}

TEST_F(NpyTest, ReadsFloat32WrittenByNumpy) {
  hep2::npy::Array a = hep2::npy::load(fixture_path("npy_f4_2x3"));
  EXPECT_EQ(a.dtype, "<f4");
  EXPECT_EQ(a.shape, (std::vector<size_t>{2, 3}));
  std::vector<float> v = a.to_f32();
  ASSERT_EQ(v.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(v[i], 0.25f * float(i) - 1.0f) << i;
}

TEST_F(NpyTest, ReadsVersion2Float64WrittenByNumpy) {
  hep2::npy::Array a = hep2::npy::load(fixture_path("npy_f8_v2_3x1x2"));
  EXPECT_EQ(a.dtype, "<f8");
  EXPECT_EQ(a.shape, (std::vector<size_t>{3, 1, 2}));
  std::vector<float> v = a.to_f32();
  ASSERT_EQ(v.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(v[i], 0.5f * float(i)) << i;
  EXPECT_TRUE(throws_mentioning([&] { (void)a.to_i32(); }, {"<f8", "int32"}));
}

TEST_F(NpyTest, ReadsInt64AndNarrowsToInt32OnlyWhenItFits) {
  hep2::npy::Array a = hep2::npy::load(fixture_path("npy_i8_5"));
  EXPECT_EQ(a.dtype, "<i8");
  EXPECT_EQ(a.to_i32(), (std::vector<int32_t>{-3, 0, 7, std::numeric_limits<int32_t>::max(),
                                              std::numeric_limits<int32_t>::min()}));
  hep2::npy::Array big = hep2::npy::load(fixture_path("npy_i8_out_of_range"));
  EXPECT_TRUE(throws_mentioning([&] { (void)big.to_i32(); }, {"out of range", "1099511627776"}));
}

TEST_F(NpyTest, ReadsZeroDimensionalUint8WrittenByNumpy) {
  hep2::npy::Array a = hep2::npy::load(fixture_path("npy_u1_scalar"));
  EXPECT_EQ(a.dtype, "|u1");
  EXPECT_TRUE(a.shape.empty());
  EXPECT_EQ(a.to_i32(), std::vector<int32_t>{200});
  EXPECT_EQ(a.to_f32(), std::vector<float>{200.0f});
}

TEST_F(NpyTest, FloatArrayIsNotConvertedToInt32) {
  hep2::npy::Array a = hep2::npy::load(fixture_path("npy_f4_2x3"));
  EXPECT_TRUE(throws_mentioning([&] { (void)a.to_i32(); }, {"<f4", "int32"}));
}

TEST_F(NpyTest, RefusesBigEndianNamingTheFile) {
  const std::string p = fixture_path("npy_f4_bigendian");
  EXPECT_TRUE(throws_mentioning([&] { hep2::npy::load(p); }, {p, "big-endian", ">f4"}));
}

TEST_F(NpyTest, RefusesFortranOrderNamingTheFile) {
  const std::string p = fixture_path("npy_f4_fortran");
  EXPECT_TRUE(throws_mentioning([&] { hep2::npy::load(p); }, {p, "Fortran"}));
}

TEST_F(NpyTest, RefusesUnsupportedDtypesNamingTheFile) {
  const std::string c = fixture_path("npy_c8");
  EXPECT_TRUE(throws_mentioning([&] { hep2::npy::load(c); }, {c, "unsupported dtype", "<c8"}));
  const std::string s = fixture_path("npy_structured");
  EXPECT_TRUE(throws_mentioning([&] { hep2::npy::load(s); }, {s, "structured"}));
}

TEST_F(NpyTest, RefusesTruncatedFiles) {
  const std::string good = hep2::read_file(fixture_path("npy_f4_2x3"));
  // Cut inside the data, inside the header, and inside the fixed prefix.
  for (size_t keep : {good.size() - 1, size_t(40), size_t(7)}) {
    const std::string p = path("cut" + std::to_string(keep) + ".npy");
    hep2::write_file_atomic(p, std::string_view(good).substr(0, keep));
    EXPECT_TRUE(throws_mentioning([&] { hep2::npy::load(p); }, {p, "truncated"})) << keep;
  }
}

TEST_F(NpyTest, RefusesTrailingBytes) {
  const std::string p = path("long.npy");
  hep2::write_file_atomic(p, hep2::read_file(fixture_path("npy_f4_2x3")) + "xxxx");
  EXPECT_TRUE(throws_mentioning([&] { hep2::npy::load(p); }, {p, "4 unexpected bytes"}));
}

TEST_F(NpyTest, RefusesWrongMagic) {
  std::string bytes = hep2::read_file(fixture_path("npy_f4_2x3"));
  bytes[1] = 'X';
  const std::string p = path("magic.npy");
  hep2::write_file_atomic(p, bytes);
  EXPECT_TRUE(throws_mentioning([&] { hep2::npy::load(p); }, {p, "magic"}));
}

TEST_F(NpyTest, RefusesMalformedHeader) {
  std::string bytes = hep2::read_file(fixture_path("npy_f4_2x3"));
  const size_t at = bytes.find("'shape'");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1] = 'S';  // an unknown key
  const std::string p = path("header.npy");
  hep2::write_file_atomic(p, bytes);
  EXPECT_TRUE(throws_mentioning([&] { hep2::npy::load(p); }, {p, "malformed", "Shape"}));
}

TEST_F(NpyTest, MissingFileErrorNamesThePath) {
  const std::string p = path("absent.npy");
  EXPECT_TRUE(throws_mentioning([&] { hep2::npy::load(p); }, {p, "No such file"}));
}

TEST_F(NpyTest, HandBuiltArrayWithTooFewBytesIsRefused) {
  hep2::npy::Array a;
  a.dtype = "<f4";
  a.shape = {2, 3};
  a.bytes.resize(5 * 4);  // one element short
  EXPECT_TRUE(throws_mentioning([&] { (void)a.to_f32(); }, {"inconsistent", "24 bytes"}));
  a.dtype = "<i4";
  EXPECT_TRUE(throws_mentioning([&] { (void)a.to_i32(); }, {"inconsistent", "24 bytes"}));
}
