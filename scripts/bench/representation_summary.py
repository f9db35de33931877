"""Per-organ and overall Dice, Jaccard (where the file has it), HD95 and ASSD (mean ± sd over
seeds) from the results.csv that RepresentationStudy.java and SemiSupervisedStudy.java write: for
each seed the metric is averaged over the test cases (HD95 and ASSD over the cases where both
masks hold the organ), then mean and sample sd over seeds.
usage: representation_summary.py results.csv [more.csv ...]"""
import csv
import math
import sys
from collections import defaultdict

rows = []
for path in sys.argv[1:]:
    with open(path) as f:
        rows.extend(csv.DictReader(f))

organs = []
for r in rows:
    if r["class"] not in organs:
        organs.append(r["class"])
runs = []
for r in rows:
    k = (r["method"], r["fraction"])
    if k not in runs:
        runs.append(k)


def per_seed(method, fraction, metric, organ=None):
    acc = defaultdict(list)
    for r in rows:
        if r["method"] != method or r["fraction"] != fraction or (organ and r["class"] != organ):
            continue
        v = float(r[metric])
        if math.isfinite(v):
            acc[r["seed"]].append(v)
    return [sum(v) / len(v) for v in acc.values() if v]


def pm(values):
    if not values:
        return "n/a"
    m = sum(values) / len(values)
    if len(values) < 2:
        return "%.3f" % m
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))
    return "%.3f ± %.3f" % (m, sd)


for metric, title in (("dice", "Dice"), ("jaccard", "Jaccard"), ("hd95", "HD95 (mm)"), ("assd", "ASSD (mm)")):
    if metric not in rows[0]:
        continue
    print("%s per organ, mean ± sd over seeds" % title)
    print("%-22s %-16s" % ("method @ fraction", "overall") + "".join(" %-16.16s" % o for o in organs))
    for method, fraction in runs:
        line = "%-22s %-16s" % (method + " @ " + fraction, pm(per_seed(method, fraction, metric)))
        line += "".join(" %-16s" % pm(per_seed(method, fraction, metric, o)) for o in organs)
        print(line)
    print()
