#!/usr/bin/python3
"""Ensembles of hep2 runs from the class probabilities they scored (NumPy only).

Every `hep2 run` / `hep2 eval` run folder (and each run folder of `hep2 cv`) holds
  test_probabilities.npy  float32 [DCAE members, readings, test cells, classes]
  test_labels.npy         int32 [test cells], the true classes
  test_rows.npy           int32 [test cells], each test cell's index in the data (optional here)
This tool averages them the way hep2 does, so that runs made separately (e.g. triples of DCAEs
on the same split) can be scored as one larger ensemble without retraining anything:
  a member's prediction is the mean of its readings' tables, the ensemble's the mean of its
  members' means (each member weighs the same), summed in order in float32 as hep2 sums them;
  the class is the first largest probability; MCA is the mean over the classes present of each
  class's recall, accuracy the fraction right. On one run folder it gives hep2's own figures to
  the last digit (metrics.json's "mca" and "accuracy").

Usage:
  tools/aggregate_probabilities.py RUN [RUN ...]
      the ensemble of every member of every RUN, in the order given (and each RUN alone)
  tools/aggregate_probabilities.py --groups-of K [--disjoint] [--threshold T] RUN [RUN ...]
      every group of K RUNs (all combinations; with --disjoint, consecutive groups: RUNs 1..K,
      K+1..2K, ...), each group's ensemble; then mean +- sample std (n - 1), min, max of the
      groups' MCA and accuracy, and how many groups reach an MCA of at least T percent
      (default 90)
  --json prints the same as one JSON object (fractions, not percent).

The RUNs must share their test cells (the same labels and, where both have test_rows.npy, the
same rows): the tool refuses otherwise. Example (docs/accuracy.md): the twelve three-DCAE runs of
DCAE seeds 34-69 on I3A, every pairing of two (66 six-DCAE ensembles) and the six disjoint pairs:
  tools/aggregate_probabilities.py --groups-of 2 RUN34 RUN37 ... RUN67
  tools/aggregate_probabilities.py --groups-of 2 --disjoint RUN34 RUN37 ... RUN67
"""
import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np


def load_run(folder):
    """(probabilities [members, readings, cells, classes] float32, labels int, rows or None)."""
    folder = Path(folder)
    probs_file, labels_file = folder / "test_probabilities.npy", folder / "test_labels.npy"
    for f in (probs_file, labels_file):
        if not f.is_file():
            sys.exit(f"aggregate_probabilities: {f} not found (hep2 run/eval writes it)")
    probs = np.load(probs_file)
    labels = np.load(labels_file).astype(np.int64)
    if probs.dtype != np.float32 or probs.ndim != 4:
        sys.exit(f"aggregate_probabilities: {probs_file}: expected float32 [members, readings, "
                 f"cells, classes], got {probs.dtype} {probs.shape}")
    if labels.shape != (probs.shape[2],):
        sys.exit(f"aggregate_probabilities: {labels_file}: {labels.shape[0]} labels for "
                 f"{probs.shape[2]} test cells")
    rows_file = folder / "test_rows.npy"
    rows = np.load(rows_file) if rows_file.is_file() else None
    return probs, labels, rows


def mean_in_order(tables):
    """hep2's ProbabilityMean::mean: float32 sum in the given order, divided by the count."""
    total = np.zeros_like(tables[0], dtype=np.float32)
    for t in tables:
        total += t
    return total / np.float32(len(tables))


def ensemble(runs):
    """The mean of the members' means over every member of every run, in order."""
    members = [mean_in_order(list(probs[m])) for probs, _, _ in runs for m in range(probs.shape[0])]
    return mean_in_order(members)


def scores(probabilities, labels):
    """(mca, accuracy) of the first-largest-probability predictions, as hep2 computes them."""
    predicted = np.argmax(probabilities, axis=1)
    classes = probabilities.shape[1]
    recall_sum, present = 0.0, 0
    for c in range(classes):
        support = int(np.sum(labels == c))
        if support:
            recall_sum += int(np.sum((labels == c) & (predicted == c))) / support
            present += 1
    return recall_sum / present, int(np.sum(predicted == labels)) / len(labels)


def check_same_cells(runs, names):
    _, labels0, rows0 = runs[0]
    for (probs, labels, rows), name in zip(runs[1:], names[1:]):
        if probs.shape[2:] != runs[0][0].shape[2:] or not np.array_equal(labels, labels0):
            sys.exit(f"aggregate_probabilities: {name} scored other test cells than {names[0]}")
        if rows is not None and rows0 is not None and not np.array_equal(rows, rows0):
            sys.exit(f"aggregate_probabilities: {name} scored other rows than {names[0]}")


def summary(values, threshold=None):
    v = np.asarray(values, dtype=np.float64)
    out = {"n": int(v.size), "mean": float(v.mean()),
           "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
           "min": float(v.min()), "max": float(v.max())}
    if threshold is not None:
        out["at_or_above"] = int(np.sum(v >= threshold))
        out["threshold"] = threshold
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", help="run folders (test_probabilities.npy, test_labels.npy)")
    ap.add_argument("--groups-of", type=int, default=0, metavar="K",
                    help="score every group of K runs (all combinations)")
    ap.add_argument("--disjoint", action="store_true",
                    help="with --groups-of: consecutive disjoint groups only")
    ap.add_argument("--threshold", type=float, default=90.0,
                    help="MCA in percent that the groups are counted against (default 90)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args(argv)

    runs = [load_run(r) for r in a.runs]
    check_same_cells(runs, a.runs)
    labels = runs[0][1]
    each = []
    for name, run in zip(a.runs, runs):
        mca, acc = scores(ensemble([run]), labels)
        each.append({"run": name, "members": int(run[0].shape[0]), "readings": int(run[0].shape[1]),
                     "mca": mca, "accuracy": acc})
    result = {"test_cells": int(labels.size), "runs": each}

    if a.groups_of <= 0:
        if a.disjoint:
            sys.exit("aggregate_probabilities: --disjoint needs --groups-of K")
        mca, acc = scores(ensemble(runs), labels)
        result["ensemble"] = {"members": sum(r["members"] for r in each), "mca": mca, "accuracy": acc}
    else:
        k = a.groups_of
        if k > len(runs):
            sys.exit(f"aggregate_probabilities: groups of {k} from {len(runs)} runs")
        if a.disjoint:
            if len(runs) % k:
                sys.exit(f"aggregate_probabilities: {len(runs)} runs do not split into groups of {k}")
            groups = [tuple(range(i, i + k)) for i in range(0, len(runs), k)]
        else:
            groups = list(itertools.combinations(range(len(runs)), k))
        scored = []
        for g in groups:
            mca, acc = scores(ensemble([runs[i] for i in g]), labels)
            scored.append({"runs": [a.runs[i] for i in g], "mca": mca, "accuracy": acc})
        result["groups"] = scored
        result["mca"] = summary([s["mca"] for s in scored], a.threshold / 100.0)
        result["accuracy"] = summary([s["accuracy"] for s in scored])

    if a.json:
        print(json.dumps(result, indent=1))
        return
    print(f"{labels.size} test cells")
    for r in each:
        print(f"  {r['run']}: {r['members']} member(s) x {r['readings']} reading(s): "
              f"MCA {100 * r['mca']:.2f}%, accuracy {100 * r['accuracy']:.2f}%")
    if "ensemble" in result:
        e = result["ensemble"]
        print(f"all {e['members']} members averaged: MCA {100 * e['mca']:.2f}%, "
              f"accuracy {100 * e['accuracy']:.2f}%")
        return
    kind = "disjoint groups" if a.disjoint else "groups (all combinations)"
    print(f"{len(result['groups'])} {kind} of {a.groups_of} runs:")
    for g in result["groups"]:
        print(f"  {' + '.join(g['runs'])}: MCA {100 * g['mca']:.2f}%, accuracy {100 * g['accuracy']:.2f}%")
    m, c = result["mca"], result["accuracy"]
    print(f"MCA {100 * m['mean']:.2f} +- {100 * m['std']:.2f} ({100 * m['min']:.2f} to "
          f"{100 * m['max']:.2f}), {m['at_or_above']} of {m['n']} at {a.threshold:g} or above; "
          f"accuracy {100 * c['mean']:.2f} +- {100 * c['std']:.2f}")


if __name__ == "__main__":
    main()
