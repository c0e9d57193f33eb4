#!/usr/bin/env bash
# The main job of README.md: installs what is missing, builds, and runs the whole method
# (train the DCAE, extract features, train the MLP, evaluate) on the embedded synthetic HEp-2 cells.
# Arguments go to `hep2 run`, e.g. tools/run.sh --data ../shared/data/i3a/manifest.csv
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh >/dev/null
exec build/hep2 run "$@"
