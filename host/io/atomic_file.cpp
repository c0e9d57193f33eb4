// Crash-safe file writes (temporary + fsync + rename) and whole-file reads, with errors that name
// the path and the operating system's reason.
#include "hep2/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "hep2/core/error.h"

namespace hep2 {

namespace {

std::string os_reason(int err) { return std::strerror(err); }

// Closes a descriptor on scope exit so that every error path releases it.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closing can report a deferred write error (e.g. on NFS), so the writer checks it.
  int close_now() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  auto give_up = [&](const char* doing, int err) {
    ::unlink(tmp.c_str());  // never leave a partial temporary behind
    fail("cannot write ", path, ": ", doing, ": ", os_reason(err),
         " (check that the directory exists, is writable and the disk is not full)");
  };

  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    int err = errno;
    // open failed, so there is no temporary to remove.
    fail("cannot write ", path, ": creating ", tmp, ": ", os_reason(err),
         " (check that the directory exists and is writable)");
  }
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      give_up("write", errno);
    }
    p += n;
    left -= size_t(n);
  }
  if (::fsync(fd.get()) != 0) give_up("fsync", errno);
  if (fd.close_now() != 0) give_up("close", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) give_up("rename", errno);

  // Make the rename itself durable. Some file systems refuse fsync on a directory (EINVAL); the
  // file's data is already safe then, so that case is not an error worth failing the write for.
  Fd dir(::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
}

std::string read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    fail("cannot read ", path, ": ", os_reason(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    int err = errno;
    fail("cannot read ", path, ": ", os_reason(err));
  }
  if (S_ISDIR(st.st_mode)) fail("cannot read ", path, ": it is a directory, not a file");
  std::string out;
  if (st.st_size > 0) out.reserve(size_t(st.st_size));
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      fail("cannot read ", path, ": ", os_reason(err));
    }
    if (n == 0) break;
    out.append(chunk, size_t(n));
  }
  return out;
}

}  // namespace hep2
