// Tests of write_file_atomic / read_file: contents, overwrites, errors that name the path, and no
// temporary file left behind on success or failure.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"

namespace fs = std::filesystem;

namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("hep2_atomic_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
  fs::path dir_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const hep2::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_F(AtomicFileTest, WritesBinaryContentExactly) {
  std::string bytes("a\0b\n\xff\x93", 6);
  hep2::write_file_atomic(path("f.bin"), bytes);
  EXPECT_EQ(hep2::read_file(path("f.bin")), bytes);
  EXPECT_EQ(fs::file_size(path("f.bin")), 6u);
}

TEST_F(AtomicFileTest, WritesLargeAndEmptyFiles) {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char((i * 131) >> 3);
  hep2::write_file_atomic(path("big"), big);
  EXPECT_EQ(hep2::read_file(path("big")), big);
  hep2::write_file_atomic(path("empty"), "");
  EXPECT_TRUE(fs::exists(path("empty")));
  EXPECT_EQ(hep2::read_file(path("empty")), "");
}

TEST_F(AtomicFileTest, OverwritesAndShortensExistingFile) {
  hep2::write_file_atomic(path("f.txt"), "a long first version of the file");
  hep2::write_file_atomic(path("f.txt"), "short");
  EXPECT_EQ(hep2::read_file(path("f.txt")), "short");
}

TEST_F(AtomicFileTest, LeavesNoTemporaryBehind) {
  hep2::write_file_atomic(path("one.json"), "{}");
  hep2::write_file_atomic(path("one.json"), "{\"a\": 1}");
  hep2::write_file_atomic(path("two.json"), "[]");
  EXPECT_EQ(entries(), (std::vector<std::string>{"one.json", "two.json"}));
}

TEST_F(AtomicFileTest, MissingDirectoryErrorNamesThePath) {
  const std::string p = path("no/such/dir/metrics.json");
  const std::string what = error_of([&] { hep2::write_file_atomic(p, "x"); });
  EXPECT_NE(what.find(p), std::string::npos) << what;
  EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
  EXPECT_TRUE(entries().empty());
}

// The rename is the last step; when it fails the already written temporary must be removed.
TEST_F(AtomicFileTest, FailedRenameRemovesTheTemporary) {
  fs::create_directories(path("taken/inner"));  // a non-empty directory cannot be replaced
  const std::string p = path("taken");
  const std::string what = error_of([&] { hep2::write_file_atomic(p, "data"); });
  EXPECT_NE(what.find(p), std::string::npos) << what;
  EXPECT_NE(what.find("rename"), std::string::npos) << what;
  EXPECT_EQ(entries(), std::vector<std::string>{"taken"});
  EXPECT_TRUE(fs::is_directory(p));
}

TEST_F(AtomicFileTest, ReadOnlyDirectoryErrorNamesThePath) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: directory permissions are not enforced";
  fs::create_directories(path("ro"));
  fs::permissions(path("ro"), fs::perms::owner_read | fs::perms::owner_exec);
  const std::string p = path("ro/x.txt");
  const std::string what = error_of([&] { hep2::write_file_atomic(p, "x"); });
  fs::permissions(path("ro"), fs::perms::owner_all);
  EXPECT_NE(what.find(p), std::string::npos) << what;
  EXPECT_NE(what.find("Permission denied"), std::string::npos) << what;
  EXPECT_TRUE(fs::is_empty(path("ro")));
}

TEST_F(AtomicFileTest, ReadErrorsNameThePath) {
  const std::string missing = path("absent.txt");
  std::string what = error_of([&] { (void)hep2::read_file(missing); });
  EXPECT_NE(what.find(missing), std::string::npos) << what;
  EXPECT_NE(what.find("No such file"), std::string::npos) << what;

  const std::string dir = dir_.string();
  what = error_of([&] { (void)hep2::read_file(dir); });
  EXPECT_NE(what.find(dir), std::string::npos) << what;
  EXPECT_NE(what.find("directory"), std::string::npos) << what;
}
