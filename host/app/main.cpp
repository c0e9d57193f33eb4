// hep2: the command line. Parses, dispatches to a subcommand, and turns any error into one clear
// line on stderr and a non-zero exit code. In a job of several MPI ranks, an error on any rank
// ends the whole job (after its line), so that no rank waits for a result that will never come.
#include <csignal>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "hep2/core/error.h"
#include "hep2/dist/communicator.h"
#include "settings.h"
#include "workbench.h"

namespace {
// First SIGINT/SIGTERM: ask the training loop to save a checkpoint and stop after its current
// step. A second one ends the process at once (the previous checkpoint stays valid: files are
// replaced atomically).
extern "C" void on_stop_signal(int sig) {
  if (hep2::app::g_stop_requested.exchange(true)) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

// The exit code of an error: in a job of several ranks the others are ended too (a rank that
// stopped on request ends them as well; their checkpoints are written atomically, so the run
// folder stays resumable).
int end_with(int code) {
  try {
    hep2::dist::Communicator& job = hep2::dist::world();
    if (job.size() > 1) job.abort(code);
  } catch (const hep2::Error&) {  // a build without MPI under a launcher: said already
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  hep2::dist::Launch launch(argc, argv);
  CLI::App app{
      "hep2: HEp-2 cell pattern classification with unsupervised deep convolutional autoencoder "
      "features (DCAE latent -> MLP), on the CPU or an NVIDIA GPU.\n"
      "Start with `hep2 run` (embedded synthetic cells) or `hep2 run --data manifest.csv`."};
  app.require_subcommand(1);
  // A later flag overrides an earlier one (tools/accuracy.sh puts its preset first).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", HEP2_VERSION);
  hep2::app::register_commands(app);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  // A write past the file-size limit (ulimit -f) would kill the process with SIGXFSZ and leave a
  // temporary behind; ignored, the write fails with EFBIG and write_file_atomic reports it.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    hep2::dist::world();  // refuses a build without MPI started as several processes
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const hep2::app::Stopped& e) {
    std::fprintf(stderr, "\nhep2: %s\n", e.what());
    return e.whole_job ? e.code : end_with(e.code);
  } catch (const hep2::Error& e) {
    std::fprintf(stderr, "\nhep2: error: %s\n", hep2::app::with_flags(e.what()).c_str());
    return end_with(1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nhep2: internal error: %s\n", e.what());
    return end_with(2);
  }
  return 0;
}
