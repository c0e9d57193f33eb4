// The hep2 subcommands. Each returns the process exit code; errors are thrown as hep2::Error and
// turned into one line by main().
#pragma once
#include <CLI/CLI.hpp>

namespace hep2::app {

void register_commands(CLI::App& app);

}  // namespace hep2::app
