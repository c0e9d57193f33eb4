#!/usr/bin/env bash
# Configures and builds hep2 into build/ (Release; CUDA when a toolkit is found). Extra arguments go
# to CMake's configure step, e.g. tools/build.sh -DHEP2_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$jobs"
