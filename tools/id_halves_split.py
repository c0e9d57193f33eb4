#!/usr/bin/env python3
"""A harder, specimen-disjoint split of a manifest's training cells: first half against second.

  tools/id_halves_split.py MANIFEST.csv OUT.csv [--part train]

Reads a hep2 manifest (path,label[,mask][,split][,group]) and writes OUT.csv with the cells of
one part (rows whose split is --part; every row when the manifest has no split column): for
each class, its cells in ID order (the numbers in the file names; I3A numbers cells image by
image, so neighbours share a specimen) are cut in two, the first half becoming `train` and the
second `val`. A classifier then meets only specimens it has never seen, from a different stretch
of the collection, which is how a new lab's cells meet a model; a random or interleaved split
would put cells of one specimen on both sides. With a group column, whole groups stay on one
side (a group goes where its first cell falls). Image and mask paths are rewritten relative to
OUT.csv's folder, so OUT.csv can live anywhere. Standard library only.

  tools/id_halves_split.py ../shared/data/i3a/manifest.csv halves.csv
  hep2 cv --preset real --data halves.csv --folds 0 --seeds 1,7,13
"""
import argparse
import csv
import os
import re
import sys
from collections import OrderedDict


def fail(message):
    print(f"id_halves_split.py: {message}", file=sys.stderr)
    sys.exit(1)


def id_key(path):
    """Orders by the numbers in the file name, then by the name (07924.png before 07925.png)."""
    name = os.path.basename(path)
    return ([int(n) for n in re.findall(r"\d+", name)], name)


def main(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.strip().splitlines()[0],
        epilog="The cut: each class's cells in ID order, first half train, second half val.")
    parser.add_argument("manifest", help="a hep2 manifest CSV (path,label[,mask][,split][,group])")
    parser.add_argument("out", help="the manifest to write")
    parser.add_argument("--part", default="train",
                        help="which split of the manifest to cut (default: train)")
    a = parser.parse_args(argv)
    source, out, part = a.manifest, a.out, a.part
    try:
        with open(source, newline="") as f:
            rows = list(csv.DictReader(f))
            fields = rows[0].keys() if rows else []
    except OSError as e:
        fail(f"cannot read '{source}': {e.strerror}; give a manifest CSV with path,label columns")
    if not rows or "path" not in fields or "label" not in fields:
        fail(f"'{source}' has no rows with path and label columns; a hep2 manifest starts "
             "with the header path,label[,mask][,split][,group]")
    if "split" in fields:
        rows = [r for r in rows if r["split"].strip().lower() == part]
        if not rows:
            fail(f"'{source}' has no cells whose split is '{part}'; choose another --part")

    base = os.path.dirname(os.path.abspath(source))
    out_dir = os.path.dirname(os.path.abspath(out))

    def moved(p):
        return os.path.relpath(os.path.join(base, p), out_dir) if p else p

    by_class = OrderedDict()
    for r in rows:
        by_class.setdefault(r["label"], []).append(r)
    has_group = "group" in fields
    written = []
    for label, cells in by_class.items():
        cells.sort(key=lambda r: id_key(r["path"]))
        if len(cells) < 2:
            fail(f"class '{label}' has {len(cells)} cell in '{source}'; each class needs two "
                 "to be split")
        half = len(cells) // 2
        side_of_group = {}
        for i, r in enumerate(cells):
            side = "train" if i < half else "val"
            if has_group and r["group"]:
                side = side_of_group.setdefault(r["group"], side)
            written.append((r, side))

    columns = ["path", "label", "mask", "split"] + (["group"] if has_group else [])
    tmp = out + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r, side in written:
            row = [moved(r["path"]), r["label"], moved(r.get("mask", "")), side]
            if has_group:
                row.append(r["group"])
            w.writerow(row)
    os.replace(tmp, out)
    counts = {}
    for r, side in written:
        counts[(r["label"], side)] = counts.get((r["label"], side), 0) + 1
    for label in by_class:
        print(f"{label}: {counts.get((label, 'train'), 0)} train, "
              f"{counts.get((label, 'val'), 0)} val")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
