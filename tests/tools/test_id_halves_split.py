"""Tests of tools/id_halves_split.py on synthetic manifests (run by ctest; standard library only).

Each case writes a small manifest whose rows are deliberately out of ID order, runs the tool and
checks the cut against what it must be: per class, the lower half of the IDs train, the upper val.
"""
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks import Checks  # noqa: E402

TOOL = Path(__file__).resolve().parents[2] / "tools" / "id_halves_split.py"
check = Checks()


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def tool(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    data = tmp / "data"
    data.mkdir()
    # Class A: IDs 1..6 (train) shuffled, plus a val row that must be left out; class B: 10..14,
    # 11 digits wide to check numeric rather than text order (9 < 10).
    rows = []
    for i in [4, 1, 6, 3, 2, 5]:
        rows.append([f"A/{i}.png", "A", f"masks/A/{i}_Mask.png", "train"])
    rows.append(["A/99.png", "A", "masks/A/99_Mask.png", "val"])
    for i in [12, 9, 14, 10, 13]:
        rows.append([f"B/{i}.png", "B", "", "train"])
    write(data / "manifest.csv", ["path", "label", "mask", "split"], rows)
    out = tmp / "elsewhere" / "halves.csv"
    out.parent.mkdir()
    r = tool(data / "manifest.csv", out)
    check("runs", r.returncode == 0, r.stderr)
    got = read(out)
    check("the val rows of the source are left out", len(got) == 11, f"{len(got)} rows")
    side = {Path(g["path"]).name: g["split"] for g in got}
    check("class A: IDs 1-3 train, 4-6 val",
          [side[f"{i}.png"] for i in range(1, 7)] == ["train"] * 3 + ["val"] * 3, str(side))
    check("class B: numeric order, 9 and 10 train (5 cells: the smaller half), 12-14 val",
          [side[f"{i}.png"] for i in [9, 10, 12, 13, 14]] == ["train"] * 2 + ["val"] * 3, str(side))
    first = got[0]
    check("paths are relative to the new manifest and reach the same files",
          first["path"] == "../data/A/1.png"
          and (out.parent / first["path"]).resolve() == (data / "A" / "1.png").resolve(), first["path"])
    check("masks are carried and rewritten", got[0]["mask"].startswith("../data/masks/"), got[0]["mask"])
    check("an empty mask stays empty", all(g["mask"] == "" for g in got if g["label"] == "B"))
    check("no temporary file remains", not (out.parent / "halves.csv.tmp").exists())

    # Groups stay whole: a group goes where its first cell (in ID order) falls.
    write(data / "groups.csv", ["path", "label", "group"],
          [["A/1.png", "A", "g1"], ["A/2.png", "A", "g1"], ["A/3.png", "A", "g2"],
           ["A/4.png", "A", "g1"]])
    r = tool(data / "groups.csv", tmp / "g.csv")
    check("groups: runs", r.returncode == 0, r.stderr)
    got = read(tmp / "g.csv")
    by_group = {}
    for g in got:
        by_group.setdefault(g["group"], set()).add(g["split"])
    check("groups: every group on one side", all(len(s) == 1 for s in by_group.values()), str(by_group))
    check("groups: g1 train (its first cell is), g2 val",
          by_group == {"g1": {"train"}, "g2": {"val"}}, str(by_group))

    # Bad input: one clear line naming the file, non-zero exit, nothing written.
    r = tool(tmp / "missing.csv", tmp / "x.csv")
    check("a missing manifest is refused naming it",
          r.returncode != 0 and "missing.csv" in r.stderr and not (tmp / "x.csv").exists(), r.stderr)
    write(data / "nolabel.csv", ["path", "split"], [["A/1.png", "train"]])
    r = tool(data / "nolabel.csv", tmp / "x.csv")
    check("a manifest without labels is refused", r.returncode != 0 and "label" in r.stderr, r.stderr)
    write(data / "one.csv", ["path", "label"], [["A/1.png", "A"], ["B/1.png", "B"], ["B/2.png", "B"]])
    r = tool(data / "one.csv", tmp / "x.csv")
    check("a class of one cell is refused naming it", r.returncode != 0 and "'A'" in r.stderr, r.stderr)
    r = tool(data / "manifest.csv", tmp / "x.csv", "--part", "test")
    check("a part with no cells is refused", r.returncode != 0 and "'test'" in r.stderr, r.stderr)

sys.exit(check.summary())
