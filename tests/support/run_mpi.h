// Running hep2 on several ranks from a test: the mpirun prefix (Open MPI, --oversubscribe on a
// 2-core machine, the consent variables Open MPI wants as root), the skip when hep2 was built
// without MPI, and any shell command with its output and exit code.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "support/run_hep2.h"

namespace hep2::test {

// "mpirun -np N ... hep2": append the subcommand and its flags.
inline std::string mpirun(int ranks) {
#ifdef HEP2_MPIEXEC
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " + std::string(HEP2_MPIEXEC) +
         " -np " + std::to_string(ranks) + " --oversubscribe " + HEP2_BINARY;
#else
  (void)ranks;
  return "";
#endif
}

// `cmd` through /bin/sh, stdout and stderr together.
inline Result run_shell(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

}  // namespace hep2::test

#ifdef HEP2_MPIEXEC
#define NEED_MPI()
#else
#define NEED_MPI() GTEST_SKIP() << "hep2 was built without MPI (HEP2_MPI=OFF or no MPI library)"
#endif
