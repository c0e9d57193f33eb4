"""Tests of tools/aggregate_probabilities.py on synthetic run folders (run by ctest; NumPy only).

The expected figures are computed here independently of the tool: in exact rational arithmetic
(fractions.Fraction) from probabilities that are multiples of 1/8, which float32 adds and halves
exactly, so the tool's float32 sums must agree with them to the last bit.
"""
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks import Checks  # noqa: E402

import numpy as np

TOOL = Path(__file__).resolve().parents[2] / "tools" / "aggregate_probabilities.py"
check = Checks()


def write_run(folder, probs, labels, rows=None):
    """probs: nested lists [members][readings][cells][classes] of multiples of 1/8."""
    folder.mkdir(parents=True)
    np.save(folder / "test_probabilities.npy", np.asarray(probs, dtype=np.float32))
    np.save(folder / "test_labels.npy", np.asarray(labels, dtype=np.int32))
    np.save(folder / "test_rows.npy",
            np.asarray(rows if rows is not None else range(len(labels)), dtype=np.int32))
    return str(folder)


def tool(*args, expect_ok=True):
    r = subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True)
    if expect_ok and r.returncode != 0:
        raise RuntimeError(f"tool failed ({r.returncode}): {r.stderr}")
    return r


def tool_json(*args):
    return json.loads(tool("--json", *args).stdout)


# ---- the exact reference ----------------------------------------------------------------------
def exact_mean(tables):
    n = len(tables)
    return [[sum(Fraction(t[i][c]) for t in tables) / n for c in range(len(tables[0][0]))]
            for i in range(len(tables[0]))]


def exact_ensemble(runs):
    """The mean of the members' means (each member: the mean of its readings)."""
    members = [exact_mean(member) for run in runs for member in run]
    return exact_mean(members)


def exact_scores(probs, labels):
    predicted = [max(range(len(row)), key=lambda c: (row[c], -c)) for row in probs]  # first max
    classes = sorted(set(labels))
    recalls = [Fraction(sum(1 for p, t in zip(predicted, labels) if t == c and p == c),
                        sum(1 for t in labels if t == c)) for c in classes]
    return (sum(recalls) / len(recalls),
            Fraction(sum(1 for p, t in zip(predicted, labels) if p == t), len(labels)))


def close(a, b):
    return abs(float(a) - float(b)) <= 1e-15


def main():
    tmp = Path(tempfile.mkdtemp(prefix="hep2_aggregate_"))

    # One run, hand-checked: 3 classes, supports 2, 1, 3. The mean of the two readings predicts
    # 0, 1, 1, 2, 2, 0 (row 1: the readings disagree, the mean says 1; row 5 is a tie, the first
    # class wins): recalls 1/2, 1, 2/3, MCA 13/18, accuracy 4/6.
    labels = [0, 0, 1, 2, 2, 2]
    r1 = [[0.75, 0.25, 0], [0.5, 0.5, 0], [0, 1, 0], [0, 0, 1], [0.25, 0, 0.75], [0.5, 0, 0.5]]
    r2 = [[0.5, 0.25, 0.25], [0.25, 0.75, 0], [0.25, 0.5, 0.25], [0, 0.25, 0.75], [0, 0.5, 0.5],
          [0.5, 0, 0.5]]
    one = write_run(tmp / "one", [[r1, r2]], labels)
    j = tool_json(one)
    check("one run: MCA", j["ensemble"]["mca"] == 13 / 18, j["ensemble"])
    check("one run: accuracy", j["ensemble"]["accuracy"] == 4 / 6, j["ensemble"])
    check("one run: its own figure", j["runs"][0]["mca"] == 13 / 18, j["runs"])
    check("one run: member count", j["ensemble"]["members"] == 1, j["ensemble"])
    text = tool(one).stdout
    check("one run: text", "MCA 72.22%" in text and "accuracy 66.67%" in text, text)

    # Members weigh the same whatever their readings: run A (one member, three readings) with run
    # B (one member, one reading). Row 0: A's mean is (2/3, 1/3), B says (0, 1): the mean of the
    # means is (1/3, 2/3) -> class 1; the mean of all four tables would be a tie -> class 0.
    lab2 = [1, 0]
    a = write_run(tmp / "a", [[[[1, 0], [1, 0]], [[1, 0], [1, 0]], [[0, 1], [1, 0]]]], lab2)
    b = write_run(tmp / "b", [[[[0, 1], [1, 0]]]], lab2)
    j = tool_json(a, b)
    check("members weigh the same", j["ensemble"]["mca"] == 1.0 and j["ensemble"]["members"] == 2,
          j["ensemble"])

    # A class with no test cell does not count in the MCA (hep2 averages over the classes
    # present): labels 0 and 1 of three classes, one cell of each right, one of class 1 called 2.
    absent = write_run(tmp / "absent", [[[[1, 0, 0], [0, 1, 0], [0, 0, 1]]]], [0, 1, 1])
    j = tool_json(absent)
    check("absent class", j["ensemble"]["mca"] == 0.75 and j["ensemble"]["accuracy"] == 2 / 3,
          j["ensemble"])

    # Groups: six runs of one member and two readings over 12 cells, 3 classes, probabilities
    # multiples of 1/8 drawn from a seeded generator.
    rng = np.random.default_rng(5)
    labels = [int(x) for x in rng.integers(0, 3, 12)]
    runs, folders = [], []
    for r in range(6):
        members = []
        for m in range(1 + r % 2):  # runs of one and of two members
            readings = []
            for _ in range(2):
                raw = rng.integers(0, 9, (12, 3))
                readings.append([[float(v) / 8 for v in row] for row in raw])
            members.append(readings)
        runs.append(members)
        folders.append(write_run(tmp / f"run{r}", members, labels))

    for k in (2, 3):
        j = tool_json("--groups-of", str(k), "--threshold", "50", *folders)
        combos = list(itertools.combinations(range(6), k))
        check(f"groups of {k}: all combinations", len(j["groups"]) == len(combos), len(j["groups"]))
        want = [exact_scores(exact_ensemble([runs[i] for i in c]), labels) for c in combos]
        got = [(g["mca"], g["accuracy"]) for g in j["groups"]]
        check(f"groups of {k}: each group exact",
              all(close(w[0], g[0]) and close(w[1], g[1]) for w, g in zip(want, got)),
              f"{want} vs {got}")
        check(f"groups of {k}: group members named",
              j["groups"][0]["runs"] == [folders[i] for i in combos[0]], j["groups"][0])
        mcas = [w[0] for w in want]
        s = j["mca"]
        check(f"groups of {k}: mean", close(s["mean"], sum(mcas) / len(mcas)), s)
        check(f"groups of {k}: sample std", close(s["std"], statistics.stdev([float(x) for x in mcas])), s)
        check(f"groups of {k}: min/max", close(s["min"], min(mcas)) and close(s["max"], max(mcas)), s)
        check(f"groups of {k}: count at threshold",
              s["at_or_above"] == sum(1 for x in mcas if x >= Fraction(1, 2)), s)

    j = tool_json("--groups-of", "2", "--disjoint", *folders)
    check("disjoint pairs", [g["runs"] for g in j["groups"]] ==
          [folders[0:2], folders[2:4], folders[4:6]], j["groups"])
    want = [exact_scores(exact_ensemble(runs[i:i + 2]), labels)[0] for i in (0, 2, 4)]
    check("disjoint pairs: figures", all(close(w, g["mca"]) for w, g in zip(want, j["groups"])),
          f"{want} vs {j['groups']}")
    j = tool_json(*folders)
    check("all six runs together",
          close(j["ensemble"]["mca"], exact_scores(exact_ensemble(runs), labels)[0]) and
          j["ensemble"]["members"] == 9, j["ensemble"])

    # Refusals: other test cells, groups that do not divide, a folder without the files.
    other = write_run(tmp / "other", runs[0], labels[::-1])
    check("refuses other labels", tool(folders[0], other, expect_ok=False).returncode != 0)
    moved = write_run(tmp / "moved", runs[0], labels, rows=[i + 1 for i in range(12)])
    check("refuses other rows", tool(folders[0], moved, expect_ok=False).returncode != 0)
    check("refuses uneven disjoint groups",
          tool("--groups-of", "4", "--disjoint", *folders, expect_ok=False).returncode != 0)
    r = tool(str(tmp / "none"), expect_ok=False)
    check("names the missing file", r.returncode != 0 and "test_probabilities.npy" in r.stderr, r.stderr)

    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
