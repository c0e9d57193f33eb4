// Running the hep2 binary from a test: `hep2 <args>` through /bin/sh with stdout and stderr
// captured together, and the exit code (128 + signal when it was killed); or started in the
// background (to signal it while it works) and waited for.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
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

// `hep2 <args>` started in the background with stdout and stderr going to `log`; the pid is the
// hep2 process itself (the shell execs it), so a signal sent to it reaches hep2. -1 on failure.
inline pid_t start_hep2(const std::string& args, const std::string& log) {
  const std::string cmd = "exec " + std::string(HEP2_BINARY) + " " + args + " > '" + log + "' 2>&1";
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// Waits for a process from start_hep2: its exit code (128 + signal when it was killed) and its log.
inline Result wait_hep2(pid_t pid, const std::string& log) {
  int status = 0;
  if (pid <= 0 || waitpid(pid, &status, 0) != pid) return {-1, "waitpid failed"};
  std::ifstream f(log);
  std::stringstream out;
  out << f.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out.str()};
}

}  // namespace hep2::test
