#!/usr/bin/env bash
# Installs the Debian packages hep2 needs to build and test, when they are missing.
# Used by tools/run.sh, tools/test.sh and CI; safe to run again (it installs nothing twice).
# The CUDA toolkit and cuDNN are not Debian packages: when nvcc is on PATH the CUDA backend is built,
# otherwise the CPU-only build is made.
set -euo pipefail

packages=(
  cmake ninja-build g++ ccache pkg-config
  libopenblas-dev                  # the CPU path's sgemm
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev   # image decode, resize, plots
  nlohmann-json3-dev libcli11-dev  # JSON reports, the command-line parser
  libgtest-dev                     # the test suites
  openmpi-bin libopenmpi-dev       # MPI ranks (mpirun; docs/scaling.md)
  python3-numpy                    # tools/aggregate_probabilities.py and its test
  clang libclang-rt-14-dev libomp-dev   # libFuzzer targets (tools/ci_fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "hep2 setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "hep2 setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
