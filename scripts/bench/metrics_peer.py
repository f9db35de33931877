"""The peer side of scripts/bench/metrics.sh: MedPy's per-class metrics written with numpy and
scipy.ndimage (as src/test/python/metrics_oracle.py), timed two ways.

  medpy   what medpy.metric.binary does: for every class, binary masks of the whole volume, the
          6-connected erosion and distance_transform_edt(~surface, sampling) over all voxels
  boxed   the same on each class's union bounding box grown by one voxel (what VoxelSeg does)

usage: metrics_peer.py SPEC.json OURS.json REPEATS [MEDPY_REPEATS]
Runs the boxed way REPEATS times and the medpy way MEDPY_REPEATS times (default 1: it takes
minutes). Prints one JSON object: best seconds of each way, and the largest differences to
VoxelSeg's values (OURS.json, from MetricsBench run) and between the two ways.
"""
import json
import math
import sys
import time

import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure

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
    out = {}
    for c in classes:
        a, b = pred == c, truth == c
        if not a.any() or not b.any():
            out[c] = class_metrics(a, b, spacing)
            continue
        idx = np.nonzero(a | b)
        sl = tuple(slice(max(0, int(i.min()) - 1), int(i.max()) + 2) for i in idx)
        out[c] = class_metrics(a[sl], b[sl], spacing)
    return out


def main():
    spec = json.load(open(sys.argv[1]))
    ours = json.load(open(sys.argv[2]))["classes"]
    reps = {"boxed": int(sys.argv[3]), "medpy": int(sys.argv[4]) if len(sys.argv) > 4 else 1}
    dims, spacing = spec["dims"], [float(s) for s in spec["spacing"]]
    pred = np.fromfile(spec["pred"], dtype=np.uint8).reshape(dims, order="F")
    truth = np.fromfile(spec["truth"], dtype=np.uint8).reshape(dims, order="F")
    classes = spec["classes"]
    result = {}
    values = {}
    for name, fn in (("medpy", medpy_way), ("boxed", boxed_way)):
        times = []
        for _ in range(reps[name]):
            t0 = time.perf_counter()
            values[name] = fn(pred, truth, classes, spacing)
            times.append(time.perf_counter() - t0)
        result[name + "_s"] = min(times)
        result[name + "_runs"] = len(times)

    def diffs(x, y):
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

    mine = {c: ours[str(c)] for c in classes}
    result["vs_voxelseg"] = diffs(values["medpy"], mine)
    result["boxed_vs_medpy"] = diffs(values["boxed"], values["medpy"])
    result["classes"] = {str(c): values["medpy"][c] for c in classes}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
