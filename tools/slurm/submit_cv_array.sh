#!/bin/bash
# Submits cv_array.sbatch with one task per unit (folds x seeds) and cv_merge.sbatch to run once
# every task has succeeded. Prints the two job ids. Same environment as cv_array.sbatch, and
# SBATCH_ARGS: more sbatch options for both jobs (e.g. "--partition=gpu --cpus-per-task=4"), e.g.
#   OUT=/scratch/$USER/cv1 FOLDS=5 SEEDS=1,2,3 HEP2_ARGS="--preset real --data cells.csv" \
#     tools/slurm/submit_cv_array.sh
set -euo pipefail
here=$(dirname "$0")
FOLDS=${FOLDS:-5}
SEEDS=${SEEDS:-1,2,3}
export FOLDS SEEDS
IFS=, read -r -a seeds <<< "$SEEDS"
units=$(( ${#seeds[@]} * (FOLDS > 0 ? FOLDS : 1) ))
# shellcheck disable=SC2086  # SBATCH_ARGS is a list of options
array=$(sbatch --parsable --export=ALL ${SBATCH_ARGS:-} --array="1-$units" "$here/cv_array.sbatch")
# shellcheck disable=SC2086
merge=$(sbatch --parsable --export=ALL ${SBATCH_ARGS:-} --dependency="afterok:${array%%;*}" \
  "$here/cv_merge.sbatch")
echo "array job $array ($units units), merge job $merge"
