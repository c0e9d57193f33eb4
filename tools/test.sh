#!/usr/bin/env bash
# The test command of README.md and CI: installs what is missing, builds, runs every test suite.
# GPU tests are compiled always and skip (GTEST_SKIP, with the reason) when no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh "$@"
ctest --test-dir build --output-on-failure -j "$(nproc)"
