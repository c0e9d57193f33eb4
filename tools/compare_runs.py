#!/usr/bin/env python3
"""Compares two `hep2 run` folders of the same data and settings, e.g. one run with --device cuda
against one with --device cpu, and says whether they agree (tools/gpu_check.sh uses it):

  features     features.npy: the largest absolute difference over the largest absolute value of
               the reference (max relative difference); every value must be finite
  predictions  the argmax of test_probabilities.npy per test cell: the share that is identical
  mca          metrics.json's mean class accuracy: the difference in percentage points

    tools/compare_runs.py RUN REFERENCE [--max-feature-diff 0.1] [--min-identical 0.99]
                          [--max-mca-points 1.0] [--json OUT]

Exit status 0 when every bound holds, 1 when one does not, 2 on unreadable or mismatched input.
Needs numpy (tools/gpu_check.sh picks a python3 that has it).
"""
import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np


def load(folder, name):
    path = Path(folder) / name
    if not path.exists():
        sys.exit(f"compare_runs: {path} is missing (is {folder} a finished `hep2 run` folder?)")
    return np.load(path) if name.endswith(".npy") else json.loads(path.read_text())


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run")
    p.add_argument("reference")
    p.add_argument("--max-feature-diff", type=float, default=0.1)
    p.add_argument("--min-identical", type=float, default=0.99)
    p.add_argument("--max-mca-points", type=float, default=1.0)
    p.add_argument("--json", help="also write the figures as JSON to this file")
    a = p.parse_args(argv)

    fa, fb = load(a.run, "features.npy"), load(a.reference, "features.npy")
    if fa.shape != fb.shape:
        print(f"compare_runs: features of shape {fa.shape} vs {fb.shape}", file=sys.stderr)
        return 2
    for name in ("test_labels.npy", "test_rows.npy"):
        if not np.array_equal(load(a.run, name), load(a.reference, name)):
            print(f"compare_runs: {name} differs: not the same test cells", file=sys.stderr)
            return 2
    pa, pb = load(a.run, "test_probabilities.npy"), load(a.reference, "test_probabilities.npy")
    if pa.shape != pb.shape:
        print(f"compare_runs: probabilities of shape {pa.shape} vs {pb.shape}", file=sys.stderr)
        return 2
    ma, mb = load(a.run, "metrics.json"), load(a.reference, "metrics.json")

    finite = bool(np.isfinite(fa).all() and np.isfinite(pa).all())
    scale = float(np.abs(fb.astype(np.float64)).max()) if fb.size else 0.0
    diff = float(np.abs(fa.astype(np.float64) - fb.astype(np.float64)).max()) if fb.size else 0.0
    feature_rel = diff / scale if scale > 0 else diff
    # test_probabilities.npy holds every DCAE member's and reading's probabilities (members x
    # readings x cells x classes); the prediction of a cell is the argmax of their mean, as hep2's.
    def predictions(probs):
        return probs.reshape(-1, probs.shape[-2], probs.shape[-1]).mean(axis=0).argmax(axis=-1)
    same = float((predictions(pa) == predictions(pb)).mean()) if pa.size else 1.0
    mca_points = 100.0 * abs(float(ma["mca"]) - float(mb["mca"]))

    checks = [
        ("all values finite", finite, "yes" if finite else "NO"),
        ("features: max relative difference", finite and feature_rel <= a.max_feature_diff,
         f"{feature_rel:.3e} (bound {a.max_feature_diff:g}; max |diff| {diff:.3e}, "
         f"max |ref| {scale:.3e})"),
        ("predictions identical", same >= a.min_identical,
         f"{100 * same:.2f}% of {pa.shape[-2]} cells "
         f"(bound {100 * a.min_identical:g}%)"),
        ("mean class accuracy", mca_points <= a.max_mca_points,
         f"{100 * float(ma['mca']):.2f}% vs {100 * float(mb['mca']):.2f}%: "
         f"{mca_points:.2f} points (bound {a.max_mca_points:g})"),
    ]
    ok = all(c[1] for c in checks)
    print(f"{a.run} ({ma.get('backend', '?')}) against {a.reference} ({mb.get('backend', '?')}):")
    for name, good, text in checks:
        print(f"  {'ok  ' if good else 'FAIL'} {name}: {text}")
    if a.json:
        Path(a.json).write_text(json.dumps({
            "run": a.run, "reference": a.reference, "finite": finite,
            "feature_max_relative_difference": feature_rel, "identical_predictions": same,
            "mca": float(ma["mca"]), "mca_reference": float(mb["mca"]),
            "mca_difference_points": mca_points, "pass": ok}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
