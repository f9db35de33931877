"""The peer side of scripts/bench/metrics.sh: MedPy's per-class metrics written with numpy and
scipy.ndimage (as src/test/python/metrics_oracle.py), two ways, single-threaded.

  medpy   what medpy.metric.binary does: for every class, binary masks of the whole volume, the
          6-connected erosion and distance_transform_edt(~surface, sampling) over all voxels
  boxed   the strongest scipy peer: the same on each class's union bounding box grown by one
          voxel (what VoxelSeg does), the boxes from two ndimage.find_objects passes (one per
          label map) instead of per-class full-volume comparisons, and everything on the
          C-ordered views (the label maps are x fastest, Fortran order; scipy's find_objects,
          erosion and distance transform walk arrays in C order, and transposed views with the
          spacing reversed give the same values faster)

scipy.ndimage's erosion and distance transform hold the GIL (scipy 1.10), so threads do not
help this peer.

usage: metrics_peer.py SPEC.json OURS.json
A worker: it loads the label maps, runs the boxed way once (untimed), prints one JSON line
{"ready": true}, then answers each stdin line "TASK N" (boxed or medpy) with one JSON line
{"s": [...], "cpu_s": ...}: the wall seconds of N back-to-back runs and the process CPU seconds
of all N; "check" answers with the largest differences to VoxelSeg's values (OURS.json, from
MetricsBench serve) and between the two ways (the medpy way's values from its first timed run).
An empty line or EOF ends it.
"""
import json
import math
import sys
import time

import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, find_objects, generate_binary_structure

FOOTPRINT = generate_binary_structure(3, 1)


def surface(m):
    return m ^ binary_erosion(m, structure=FOOTPRINT, iterations=1)


def class_metrics(a, b, spacing):
    na, nb = int(np.count_nonzero(a)), int(np.count_nonzero(b))
    if na == 0 and nb == 0:
        return {"status": "BOTH_EMPTY", "dice": 1.0, "jaccard": 1.0, "hd": 0.0, "hd95": 0.0,
                "assd": 0.0}
    inter = int(np.count_nonzero(a & b))
    dice, jaccard = 2.0 * inter / (na + nb), inter / float(na + nb - inter)
    if na == 0 or nb == 0:
        nan = float("nan")
        return {"status": "PRED_EMPTY" if na == 0 else "TRUTH_EMPTY", "dice": dice,
                "jaccard": jaccard, "hd": nan, "hd95": nan, "assd": nan}
    sa, sb = surface(a), surface(b)
    d_ab = distance_transform_edt(~sb, sampling=spacing)[sa]
    d_ba = distance_transform_edt(~sa, sampling=spacing)[sb]
    return {"status": "OK", "dice": dice, "jaccard": jaccard,
            "hd": float(max(d_ab.max(), d_ba.max())),
            "hd95": float(np.percentile(np.hstack((d_ab, d_ba)), 95)),
            "assd": float(np.mean((d_ab.mean(), d_ba.mean())))}


def medpy_way(pred, truth, classes, spacing):
    return {c: class_metrics(pred == c, truth == c, spacing) for c in classes}


def boxed_way(pred, truth, classes, spacing):
    pred, truth, spacing = pred.T, truth.T, spacing[::-1]
    n = max(classes)
    boxes = find_objects(pred, n), find_objects(truth, n)
    out = {}
    for c in classes:
        bs = [b[c - 1] for b in boxes if b[c - 1] is not None]
        if bs:
            sl = tuple(slice(max(0, min(b[d].start for b in bs) - 1), max(b[d].stop for b in bs) + 1)
                       for d in range(3))
        else:
            sl = (slice(0, 0),) * 3  # in neither map: empty masks
        out[c] = class_metrics(pred[sl] == c, truth[sl] == c, spacing)
    return out


def diffs(x, y, classes):
    d = {"dice": 0.0, "distance": 0.0, "status_mismatch": 0}
    for c in classes:
        p, q = x[c], y[c]
        if p["status"] != q["status"]:
            d["status_mismatch"] += 1
        d["dice"] = max(d["dice"], abs(p["dice"] - q["dice"]), abs(p["jaccard"] - q["jaccard"]))
        for k in ("hd", "hd95", "assd"):
            if math.isnan(p[k]) != math.isnan(q[k]):
                d["distance"] = float("inf")
            elif not math.isnan(p[k]):
                d["distance"] = max(d["distance"], abs(p[k] - q[k]))
    return d


def main():
    spec = json.load(open(sys.argv[1]))
    ours = sys.argv[2]
    dims, spacing = spec["dims"], [float(s) for s in spec["spacing"]]
    pred = np.fromfile(spec["pred"], dtype=np.uint8).reshape(dims, order="F")
    truth = np.fromfile(spec["truth"], dtype=np.uint8).reshape(dims, order="F")
    classes = spec["classes"]
    ways = {"medpy": medpy_way, "boxed": boxed_way}
    values = {"boxed": boxed_way(pred, truth, classes, spacing)}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        if line.split()[0] == "check":
            mine = {c: json.load(open(ours))["classes"][str(c)] for c in classes}
            result = {"boxed_vs_voxelseg": diffs(values["boxed"], mine, classes)}
            if "medpy" in values:
                result["medpy_vs_voxelseg"] = diffs(values["medpy"], mine, classes)
                result["boxed_vs_medpy"] = diffs(values["boxed"], values["medpy"], classes)
            print(json.dumps(result), flush=True)
            continue
        task, n = line.split()
        s, c0 = [], time.process_time()
        for _ in range(int(n)):
            t0 = time.perf_counter()
            v = ways[task](pred, truth, classes, spacing)
            s.append(time.perf_counter() - t0)
            values.setdefault(task, v)
        print(json.dumps({"s": s, "cpu_s": time.process_time() - c0}), flush=True)


if __name__ == "__main__":
    main()
