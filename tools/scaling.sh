#!/usr/bin/env bash
# Task-parallel scaling on this machine's CPU: a tools/accuracy.sh-shaped protocol scaled down to
# minutes (the real preset: two DCAEs per run, two reading sizes, least squares; 800 synthetic
# cells at 32 px, 5 epochs, 2 folds x 3 seeds = 6 units) run as
#   1. one process, one thread        (the unit of work)
#   2. one process, every core        (threads inside each step)
#   3. N ranks (mpirun), --threads 0  (each rank its share of the cores: 1 thread on 2 cores)
# and a table of wall and CPU time (user + system, every process of the job), the speed-up and
# the efficiency against 1 (CPU time of 1 / CPU time of 3). All three write the same figures
# (checked). Environment: BUILD_DIR (default build), RANKS (default: the core count).
# Usage: tools/scaling.sh [extra hep2 cv options]
set -euo pipefail
cd "$(dirname "$0")/.."
hep2="$(pwd)/${BUILD_DIR:-build}/hep2"
ranks=${RANKS:-$(nproc)}
work=$(mktemp -d /tmp/hep2-scaling.XXXXXX)
trap 'rm -rf "$work"' EXIT
args=(cv --preset real --synth-count 800 --size 32 --stats-sizes 32,24 --dcae-ensemble 2
      --epochs 5 --folds 2 --seeds 1,3,5 "$@")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # Open MPI's consent as root
measure() {  # name, command...: "wall user+sys" of the command and its children
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/$name.time" "$@" > "$work/$name.log" 2>&1 ||
    { cat "$work/$name.log" >&2; exit 1; }
  awk -v n="$name" '{printf "%s %.1f %.1f\n", n, $1, $2 + $3}' "$work/$name.time"
}
{
  measure one-thread "$hep2" "${args[@]}" --threads 1 --out "$work/one-thread"
  measure all-cores "$hep2" "${args[@]}" --threads 0 --out "$work/all-cores"
  measure ranks mpirun -np "$ranks" --oversubscribe "$hep2" "${args[@]}" --threads 0 \
    --out "$work/ranks"
} > "$work/times"
python3 - "$work" "$ranks" <<'PY'
import json, sys
work, ranks = sys.argv[1], int(sys.argv[2])
t = {n: (float(w), float(c)) for n, w, c in (l.split() for l in open(f"{work}/times"))}
def figures(d):
    j = json.load(open(f"{work}/{d}/protocol.json"))
    return [(r["accuracy"], r["mca"]) for r in j["runs"]]
same = figures("one-thread") == figures("ranks")
w1, c1 = t["one-thread"]
print(f"{'run':34} {'wall s':>8} {'CPU s':>8} {'speed-up':>9} {'efficiency':>11}")
for name, label in (("one-thread", "1 process, 1 thread"),
                    ("all-cores", "1 process, all cores"),
                    ("ranks", f"{ranks} ranks (mpirun), 1 thread each")):
    w, c = t[name]
    print(f"{label:34} {w:8.1f} {c:8.1f} {w1 / w:8.2f}x {100 * c1 / c:10.0f}%")
print(f"figures of {ranks} ranks and of 1 process, 1 thread: {'identical' if same else 'DIFFERENT'}")
PY
