#!/usr/bin/env python3
"""Plots a learning curve (mean class accuracy against labelled training cells) as a PNG.

  tools/plot_learning_curve.py OUT.png TABLE.csv

TABLE.csv has the columns series,cells,seed,mca (mca in percent), one row per run; each series
becomes one line through the means over seeds, with the seeds' spread as error bars (sample
std). docs/learning_curve.csv is the table of docs/learning_curve.png. Needs numpy and
matplotlib (Debian: apt-get install python3-matplotlib; or pip install numpy matplotlib); hep2
itself does not.
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, table = sys.argv[1], sys.argv[2]
    runs = defaultdict(lambda: defaultdict(list))
    with open(table, newline="") as f:
        for row in csv.DictReader(f):
            runs[row["series"]][int(row["cells"])].append(float(row["mca"]))
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for series, by_size in runs.items():
        sizes = sorted(by_size)
        means = [np.mean(by_size[n]) for n in sizes]
        stds = [np.std(by_size[n], ddof=1) if len(by_size[n]) > 1 else 0 for n in sizes]
        ax.errorbar(sizes, means, yerr=stds, marker="o", capsize=3, label=series)
    ax.set_xscale("log")
    ax.set_xlabel("labelled training cells (whole specimens)")
    ax.set_ylabel("mean class accuracy on I3A val (%)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main()
