#!/usr/bin/env bash
# hep2 beside PyTorch on the CPU, measured fairly: `hep2 bench` and tools/reference/torch_bench.py
# run ALTERNATELY (hep2, torch, hep2, torch, ... for --rounds rounds) with the same threads, batch
# and input size, for both decoders, so a load that comes and goes on a shared machine hits both
# sides alike. Prints, per decoder and phase, the median images/s of each side over the rounds and
# the ratio hep2 / torch (plain and expert styles); MLP steps compare times (torch ms / hep2 ms).
# Before that it says which BLAS each side uses (loudly when torch gets the slow reference BLAS)
# and measures the machine's sgemm peak (2048^3, same threads).
#
# On a machine shared with other work, how idle OpenMP threads wait decides much of torch's speed:
# libgomp's default spins for milliseconds, which on busy cores steals the time the working
# threads need (OMP_WAIT_POLICY=passive sleeps instead). hep2 runs its own pool, which spins only
# microseconds. So torch runs under each policy of --torch-waits (default: both) and every ratio
# is taken against torch's better result of the round: hep2 is never compared with a handicapped
# torch.
#
#   tools/bench_vs_torch.sh                    2 threads, batch 64, 64x64, 3 rounds, both decoders
#   tools/bench_vs_torch.sh --rounds 5 --threads 2 --batch 64 --size 64 --decoders "deconv upsample"
#
# Options: --hep2 PATH (default build/hep2, then build-perf/hep2), --python PY (default
# /usr/bin/python3: Debian's torch; not the first python3 on PATH), --repeats N (timed runs per
# process, default 10), --torch-waits "default passive" (OMP_WAIT_POLICY values torch runs under),
# --out DIR (JSON of every run and summary.json; default a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=3 THREADS=2 BATCH=64 SIZE=64 REPEATS=10 DECODERS="deconv upsample"
TORCH_WAITS="default passive"
HEP2="" PY=/usr/bin/python3 OUT_DIR=""
while (($#)); do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --decoders) DECODERS=$2; shift 2 ;;
    --torch-waits) TORCH_WAITS=$2; shift 2 ;;
    --hep2) HEP2=$2; shift 2 ;;
    --python) PY=$2; shift 2 ;;
    --out) OUT_DIR=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "bench_vs_torch: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$HEP2" ]; then
  for c in build/hep2 build-perf/hep2; do [ -x "$c" ] && { HEP2=$c; break; }; done
fi
if [ -z "$HEP2" ] || [ ! -x "$HEP2" ]; then
  echo "bench_vs_torch: no hep2 binary (build it, or --hep2 PATH)" >&2
  exit 1
fi
if ! "$PY" -c "import torch" 2>/dev/null; then
  echo "bench_vs_torch: $PY has no torch (use --python)" >&2
  exit 1
fi
[ -n "$OUT_DIR" ] || OUT_DIR=$(mktemp -d /tmp/bench_vs_torch.XXXXXX)
mkdir -p "$OUT_DIR"
TORCH_BENCH=tools/reference/torch_bench.py

echo "== hep2 beside PyTorch: $THREADS threads, batch $BATCH, ${SIZE}x$SIZE," \
  "$ROUNDS alternating rounds"
echo "   hep2: $HEP2   torch: $PY   results: $OUT_DIR"
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p')
echo "   $cpu, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- which BLAS each side uses ------------------------------------------------------------------
echo "== BLAS"
alt=$(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null \
  | sed -n 's/^Value: //p' || true)
echo "   libblas.so.3 alternative (Debian's torch takes its BLAS from here): ${alt:-unknown}"
hep2_blas=$(ldd "$HEP2" 2>/dev/null | awk '/blas/ && $3 ~ /^\// {print $3}' | xargs -r realpath \
  | sort -u | tr '\n' ' ' || true)
echo "   hep2 links: ${hep2_blas:-no shared BLAS, so the built-in sgemm of hep2}"
# The libraries torch really maps once it has run a matrix product.
torch_blas=$("$PY" -c '
import os, torch
torch.ones(64, 64) @ torch.ones(64, 64)
libs = sorted({os.path.realpath(l.split()[-1]) for l in open("/proc/self/maps")
               if len(l.split()) > 5 and "blas" in os.path.basename(l.split()[-1])})
print(" ".join(libs) or "none mapped")')
echo "   torch maps: $torch_blas"
if [[ "$alt" == */blas/libblas.so.3 ]] || [[ "$torch_blas" == */blas/libblas.so.3* ]]; then
  cat <<'EOF'
   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
   !! WARNING: libblas.so.3 is the REFERENCE BLAS. Debian's torch will run its matrix products  !!
   !! (Linear layers, some convolutions) ~20x slower than it should: the comparison is UNFAIR.  !!
   !! Fix: apt-get install libopenblas0-pthread (tools/setup.sh installs libopenblas-dev) or    !!
   !!      update-alternatives --set libblas.so.3-x86_64-linux-gnu \                            !!
   !!        /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3                             !!
   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
EOF
fi

# ---- the machine's sgemm peak -------------------------------------------------------------------
echo "== sgemm peak (2048^3, $THREADS threads)"
"$PY" "$TORCH_BENCH" --device cpu --threads "$THREADS" --sgemm-only --json "$OUT_DIR/sgemm.json" \
  | grep 'sgemm' | sed 's/^ */   /'

# ---- alternating runs ---------------------------------------------------------------------------
for dec in $DECODERS; do
  for ((r = 1; r <= ROUNDS; r++)); do
    echo "== $dec round $r/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))"
    "$HEP2" bench --device cpu --threads "$THREADS" --batch "$BATCH" --size "$SIZE" \
      --decoder "$dec" --repeats "$REPEATS" --no-layers --json "$OUT_DIR/hep2_${dec}_$r.json" \
      | sed -n 's/^  \(DCAE training\|feature extraction\|MLP step\)/   hep2  \1/p'
    for wait in $TORCH_WAITS; do
      policy=(env OMP_WAIT_POLICY="$wait")
      if [ "$wait" = default ]; then policy=(env -u OMP_WAIT_POLICY); fi
      "${policy[@]}" "$PY" "$TORCH_BENCH" --device cpu --threads "$THREADS" --batch "$BATCH" \
        --size "$SIZE" --decoder "$dec" --repeats "$REPEATS" \
        --json "$OUT_DIR/torch_${dec}_${r}_$wait.json" \
        | sed -n "/^  \(plain\|expert\) *[0-9]/s/^  \(.*\)$/   torch \1  (OMP_WAIT_POLICY $wait)/p"
    done
  done
done

# ---- the tables ---------------------------------------------------------------------------------
"$PY" - "$OUT_DIR" "$ROUNDS" "$DECODERS" "$TORCH_WAITS" <<'EOF'
import json, statistics, sys
from pathlib import Path
out, rounds = Path(sys.argv[1]), int(sys.argv[2])
decoders, waits = sys.argv[3].split(), sys.argv[4].split()
med = statistics.median
load = lambda name: json.loads((out / name).read_text())
summary = {"rounds": rounds, "torch_waits": waits, "decoders": {},
           "sgemm_2048_gflops": load("sgemm.json").get("sgemm_2048_gflops", {})}
# phase, its JSON keys, unit: images/s (higher is better) or ms (lower is better)
PHASES = (("train", ("train", "images_per_s"), "img/s"),
          ("extract", ("extract", "images_per_s"), "img/s"),
          ("mlp", ("mlp", "step_ms"), "ms"))
def better(unit, values):
    return max(values) if unit == "img/s" else min(values)
print("== ratios (median over rounds; per-round range in brackets; torch = its better wait policy)")
print(f"   {'decoder':<9}{'phase':<9}{'hep2':>9}{'plain':>9}{'expert':>9}"
      f"{'vs plain':>21}{'vs expert':>21}")
per_wait = []
for dec in decoders:
    h = [load(f"hep2_{dec}_{r}.json") for r in range(1, rounds + 1)]
    t = {w: [load(f"torch_{dec}_{r}_{w}.json") for r in range(1, rounds + 1)] for w in waits}
    rows = {}
    for phase, (k1, k2), unit in PHASES:
        hv = [x[k1][k2] for x in h]
        row = {"unit": unit, "hep2": med(hv), "hep2_runs": hv}
        cells = []
        for style in ("plain", "expert"):
            by_wait = {w: [x["styles"][style][k1][k2] for x in t[w]] for w in waits}
            tv = [better(unit, [by_wait[w][r] for w in waits]) for r in range(rounds)]
            per_round = [(a / b) if unit == "img/s" else (b / a) for a, b in zip(hv, tv)]
            ratio = row["hep2"] / med(tv) if unit == "img/s" else med(tv) / row["hep2"]
            row.update({style: med(tv), style + "_runs": tv, style + "_by_wait": by_wait,
                        "ratio_vs_" + style: ratio, "ratio_vs_" + style + "_per_round": per_round})
            cells.append(f"{ratio:6.2f}x [{min(per_round):.2f}-{max(per_round):.2f}]")
            per_wait.append((dec, phase, style, unit, {w: med(v) for w, v in by_wait.items()}))
        rows[phase] = row
        print(f"   {dec:<9}{phase:<9}{row['hep2']:9.1f}{row['plain']:9.1f}{row['expert']:9.1f}"
              f"{cells[0]:>21}{cells[1]:>21}   ({unit})")
    summary["decoders"][dec] = rows
print("   train/extract: hep2 img/s / torch img/s; mlp: torch ms / hep2 ms")
# The same per step, from CPU time (all threads): the work each side does for a step or a batch,
# which a shared machine's load changes far less than the wall time.
print("== CPU time per step or batch, ms (median over rounds; ratio = torch / hep2)")
print(f"   {'decoder':<9}{'phase':<9}{'hep2':>9}{'plain':>9}{'expert':>9}"
      f"{'vs plain':>10}{'vs expert':>10}")
for dec in decoders:
    h = [load(f"hep2_{dec}_{r}.json") for r in range(1, rounds + 1)]
    t = {w: [load(f"torch_{dec}_{r}_{w}.json") for r in range(1, rounds + 1)] for w in waits}
    for phase, _, _ in PHASES:
        hc = med([x[phase]["cpu_ms"] for x in h])
        cells, row = [], {"hep2_cpu_ms": hc}
        for style in ("plain", "expert"):
            tc = med([min(t[w][r]["styles"][style][phase]["cpu_ms"] for w in waits)
                      for r in range(rounds)])
            row[style + "_cpu_ms"] = tc
            row["cpu_ratio_vs_" + style] = tc / hc
            cells.append(tc)
        summary["decoders"][dec][phase]["cpu"] = row
        print(f"   {dec:<9}{phase:<9}{hc:9.1f}{cells[0]:9.1f}{cells[1]:9.1f}"
              f"{cells[0] / hc:9.2f}x{cells[1] / hc:9.2f}x")
if len(waits) > 1:
    print("== torch by OMP_WAIT_POLICY (medians)")
    for dec, phase, style, unit, m in per_wait:
        print(f"   {dec:<9}{phase:<9}{style:<7}"
              + "".join(f"{w:>9} {v:8.1f}" for w, v in m.items()) + f"  ({unit})")
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(f"   JSON: {out}/summary.json")
EOF
