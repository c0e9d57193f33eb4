// The readers under fuzz take file paths, not byte buffers: FuzzFile puts the fuzzer's bytes into a
// file of its own, in a ScratchDir in /dev/shm when there is one (so an input costs no disk I/O).
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

namespace hep2::fuzz {

// A private folder for one fuzzer process, /dev/shm/<name>_<pid> (or under $TMPDIR or /tmp),
// removed with everything in it when the fuzzer exits normally.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    namespace fs = std::filesystem;
    fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    path_ = base / (name + "_" + std::to_string(::getpid()));
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

class FuzzFile {
 public:
  explicit FuzzFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~FuzzFile() { ::unlink(path_.c_str()); }
  FuzzFile(const FuzzFile&) = delete;
  FuzzFile& operator=(const FuzzFile&) = delete;

  // Replaces the file's content. Plain write(2), no fsync: the file only has to be readable back.
  void write(const uint8_t* data, size_t size) const {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) std::abort();  // the harness itself is broken: stop loudly
    while (size > 0) {
      ssize_t n = ::write(fd, data, size);
      if (n <= 0) std::abort();
      data += n;
      size -= size_t(n);
    }
    ::close(fd);
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace hep2::fuzz
