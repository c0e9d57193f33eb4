#!/usr/bin/env bash
# hep2 beside PyTorch on the CPU, measured fairly: `hep2 bench` and tools/reference/torch_bench.py
# run ALTERNATELY (hep2, torch, hep2, torch, ... for --rounds rounds) with the same threads, batch
# and input size, for both decoders, so a load that comes and goes on a shared machine hits both
# sides alike. Prints, per decoder and phase, the median images/s of each side over the rounds and
# the ratio hep2 / torch (plain and expert styles); MLP steps compare times (torch ms / hep2 ms).
# Before that it says which BLAS each side uses (loudly when torch gets the slow reference BLAS)
# and measures the machine's sgemm peak (2048^3, same threads).
#
#   tools/bench_vs_torch.sh                       2 threads, batch 64, 64x64, 3 rounds, both decoders
#   tools/bench_vs_torch.sh --rounds 5 --threads 2 --batch 64 --size 64 --decoders "deconv upsample"
#
# Options: --hep2 PATH (default build-perf/hep2, then build/hep2), --python PY (default
# /usr/bin/python3: Debian's torch; not the first python3 on PATH), --repeats N (timed runs per
# process, default 10), --out DIR (JSON of every run and summary.json; default a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=3 THREADS=2 BATCH=64 SIZE=64 REPEATS=10 DECODERS="deconv upsample"
HEP2="" PY=/usr/bin/python3 OUT_DIR=""
while (($#)); do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --decoders) DECODERS=$2; shift 2 ;;
    --hep2) HEP2=$2; shift 2 ;;
    --python) PY=$2; shift 2 ;;
    --out) OUT_DIR=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench_vs_torch: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$HEP2" ]; then
  for c in build-perf/hep2 build/hep2; do [ -x "$c" ] && { HEP2=$c; break; }; done
fi
[ -n "$HEP2" ] && [ -x "$HEP2" ] || { echo "bench_vs_torch: no hep2 binary (build it, or --hep2 PATH)" >&2; exit 1; }
"$PY" -c "import torch" 2>/dev/null || { echo "bench_vs_torch: $PY has no torch (use --python)" >&2; exit 1; }
[ -n "$OUT_DIR" ] || OUT_DIR=$(mktemp -d /tmp/bench_vs_torch.XXXXXX)
mkdir -p "$OUT_DIR"
TORCH_BENCH=tools/reference/torch_bench.py

echo "== hep2 beside PyTorch: $THREADS threads, batch $BATCH, ${SIZE}x$SIZE, $ROUNDS alternating rounds"
echo "   hep2: $HEP2   torch: $PY   results: $OUT_DIR"
echo "   $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- which BLAS each side uses --------------------------------------------------------------------
echo "== BLAS"
alt=$(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | sed -n 's/^Value: //p' || true)
echo "   libblas.so.3 alternative (Debian's torch takes its BLAS from here): ${alt:-unknown}"
hep2_blas=$(ldd "$HEP2" 2>/dev/null | grep -o '[^ ]*blas[^ ]*\.so[^ ]*' | sort -u | tr '\n' ' ' || true)
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

# ---- the machine's sgemm peak ----------------------------------------------------------------------
echo "== sgemm peak (2048^3, $THREADS threads)"
"$PY" "$TORCH_BENCH" --device cpu --threads "$THREADS" --sgemm-only --json "$OUT_DIR/sgemm.json" \
  | grep 'sgemm' | sed 's/^ */   /'

# ---- alternating runs --------------------------------------------------------------------------------
for dec in $DECODERS; do
  for ((r = 1; r <= ROUNDS; r++)); do
    echo "== $dec round $r/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))"
    "$HEP2" bench --device cpu --threads "$THREADS" --batch "$BATCH" --size "$SIZE" \
      --decoder "$dec" --repeats "$REPEATS" --no-layers --json "$OUT_DIR/hep2_${dec}_$r.json" \
      | sed -n 's/^  \(DCAE training\|feature extraction\|MLP step\)/   hep2  \1/p'
    "$PY" "$TORCH_BENCH" --device cpu --threads "$THREADS" --batch "$BATCH" --size "$SIZE" \
      --decoder "$dec" --repeats "$REPEATS" --json "$OUT_DIR/torch_${dec}_$r.json" \
      | sed -n 's/^  \(plain\|expert\) /   torch \1/p'
  done
done

# ---- the table ------------------------------------------------------------------------------------------
"$PY" - "$OUT_DIR" "$ROUNDS" "$DECODERS" <<'EOF'
import json, statistics, sys
from pathlib import Path
out, rounds, decoders = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split()
med = statistics.median
summary = {"rounds": rounds, "decoders": {}}
sg = json.loads((out / "sgemm.json").read_text()).get("sgemm_2048_gflops", {})
summary["sgemm_2048_gflops"] = sg
print("== ratios (median over rounds; per-round ratio range in brackets)")
print(f"   {'decoder':<9}{'phase':<9}{'hep2':>10}{'plain':>10}{'expert':>10}"
      f"{'vs plain':>22}{'vs expert':>22}")
for dec in decoders:
    h = [json.loads((out / f"hep2_{dec}_{r}.json").read_text()) for r in range(1, rounds + 1)]
    t = [json.loads((out / f"torch_{dec}_{r}.json").read_text()) for r in range(1, rounds + 1)]
    rows = {}
    # images/s for train and extract (higher is better); ms for the MLP step (lower is better)
    for phase, hkey, tkey, unit in (("train", ("train", "images_per_s"), ("train", "images_per_s"), "img/s"),
                                    ("extract", ("extract", "images_per_s"), ("extract", "images_per_s"), "img/s"),
                                    ("mlp", ("mlp", "step_ms"), ("mlp", "step_ms"), "ms")):
        hv = [x[hkey[0]][hkey[1]] for x in h]
        row = {"unit": unit, "hep2": med(hv), "hep2_runs": hv}
        cells = []
        for style in ("plain", "expert"):
            tv = [x["styles"][style][tkey[0]][tkey[1]] for x in t]
            per_round = [(a / b) if unit == "img/s" else (b / a) for a, b in zip(hv, tv)]
            ratio = row["hep2"] / med(tv) if unit == "img/s" else med(tv) / row["hep2"]
            row[style] = med(tv)
            row[style + "_runs"] = tv
            row["ratio_vs_" + style] = ratio
            row["ratio_vs_" + style + "_per_round"] = per_round
            cells.append(f"{ratio:6.2f}x [{min(per_round):.2f}-{max(per_round):.2f}]")
        rows[phase] = row
        print(f"   {dec:<9}{phase:<9}{row['hep2']:10.1f}{row['plain']:10.1f}{row['expert']:10.1f}"
              f"{cells[0]:>22}{cells[1]:>22}   ({unit})")
    summary["decoders"][dec] = rows
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(f"   (train/extract: hep2 img/s / torch img/s; mlp: torch ms / hep2 ms.  JSON: {out}/summary.json)")
EOF
