// The golden fixtures are what tools/reference/make_fixtures.py wrote: every file in
// tests/fixtures/golden has the sha256 the script recorded in SHA256SUMS, and the list names
// every file. A fixture edited by hand (or regenerated without its sums) fails here, so the
// golden tests cannot quietly compare against other numbers than PyTorch's.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "support/sha256.h"

namespace hep2 {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

const fs::path kGolden = fs::path(HEP2_FIXTURES) / "golden";

// file name -> recorded sum, from sha256sum's format ("<64 hex>  <name>").
std::map<std::string, std::string> recorded_sums() {
  std::map<std::string, std::string> sums;
  std::ifstream f(kGolden / "SHA256SUMS");
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    EXPECT_GE(line.size(), 67u) << "malformed line: " << line;
    if (line.size() < 67) continue;
    const std::string name = line.substr(66);
    EXPECT_TRUE(sums.emplace(name, line.substr(0, 64)).second) << name << " listed twice";
  }
  return sums;
}

TEST(Sha256, KnownVectors) {
  // FIPS 180-4 examples, and a message whose padding needs a second block.
  EXPECT_EQ(test::sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(test::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(test::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(GoldenFixtures, EveryFileHasItsRecordedSha256) {
  ASSERT_TRUE(fs::exists(kGolden / "SHA256SUMS"))
      << "no SHA256SUMS in " << kGolden << ": run tools/reference/make_fixtures.py";
  const std::map<std::string, std::string> sums = recorded_sums();
  std::set<std::string> on_disk;
  for (const auto& e : fs::directory_iterator(kGolden))
    if (e.path().filename() != "SHA256SUMS") on_disk.insert(e.path().filename().string());
  EXPECT_GT(on_disk.size(), 50u);
  for (const std::string& name : on_disk) {
    auto it = sums.find(name);
    if (it == sums.end()) {
      ADD_FAILURE() << name << " is not in SHA256SUMS: fixtures come from make_fixtures.py only";
      continue;
    }
    EXPECT_EQ(test::sha256_hex(read_bytes(kGolden / name)), it->second)
        << name << " differs from what make_fixtures.py wrote";
  }
  for (const auto& [name, sum] : sums)
    EXPECT_TRUE(on_disk.count(name)) << name << " is listed in SHA256SUMS but missing";
}

}  // namespace
}  // namespace hep2
