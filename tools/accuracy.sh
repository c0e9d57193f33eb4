#!/usr/bin/env bash
# The evaluation protocol on a dataset, as one table: tools/accuracy.sh DATA [hep2 cv options]
# DATA: a manifest CSV, a folder of class folders or an ICPR2012 contest folder.
# With the data's own split (a split column, or ICPR2012's training/test) it trains on train and
# reports on test, over 3 seeds (1, 7, 13); otherwise it runs 5-fold cross-validation, stratified and grouped
# by specimen/image when the data says which cell comes from which. The settings are hep2's
# preset for real cells (--preset real: tools/presets/real.json, docs/accuracy.md); extra options
# override them, e.g. --features latent.
set -euo pipefail
if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
data=$1
shift
cd "$(dirname "$0")/.."
bash tools/build.sh >/dev/null
data_abs=$(realpath "$data")

# Does the data bring its own train/test split? (split column in a manifest, or ICPR2012 folders)
folds=5
if [[ -f $data_abs && $data_abs == *.csv ]]; then
  header=$(head -n 1 "$data_abs" | tr -d '\r' | tr 'A-Z;\t' 'a-z,,')
  [[ ",$header," == *",split,"* ]] && folds=0
elif [[ -d $data_abs/training && -d $data_abs/test ]]; then
  folds=0
elif [[ -f $data_abs/manifest.csv ]]; then
  header=$(head -n 1 "$data_abs/manifest.csv" | tr -d '\r' | tr 'A-Z;\t' 'a-z,,')
  [[ ",$header," == *",split,"* ]] && folds=0
fi
# Six apart: the preset averages six DCAEs, seed s training those of seeds s..s+5, so seeds 1, 7,
# 13 share none (hep2 cv refuses seeds that would).
seeds=1,7,13
[[ $folds -gt 0 ]] && seeds=1

out=runs/accuracy-$(date +%Y%m%d-%H%M%S)
exec build/hep2 cv --preset real --data "$data_abs" --folds "$folds" --seeds "$seeds" \
  --out "$out" "$@"
