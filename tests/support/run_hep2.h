// Running the hep2 binary from a test: `hep2 <args>` through /bin/sh with stdout and stderr
// captured together, and the exit code (128 + signal when it was killed).
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace hep2::test {

struct Result {
  int code;
  std::string output;  // stdout and stderr together
};

// `shell_prefix` runs first in the same shell (e.g. "ulimit -f 64;").
inline Result run_hep2(const std::string& args, const std::string& shell_prefix = "") {
  const std::string cmd = shell_prefix + " exec " + std::string(HEP2_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

}  // namespace hep2::test
