"""Oracle for VoxelSeg's segmentation metrics: MedPy's definitions (medpy.metric.binary dc, jc,
hd, hd95, assd) written out with numpy and scipy.ndimage, plus MONAI's HD95 and ASSD variants.

usage: metrics_oracle.py metrics SPEC.json   prints per-class metrics as JSON
       metrics_oracle.py edt SPEC.json OUT.raw
                                            writes distance_transform_edt(~mask, sampling) as
                                            little-endian float64, x fastest

SPEC.json: {"dims": [nx, ny, nz], "spacing": [sx, sy, sz] (mm), "pred": "pred.raw",
            "truth": "truth.raw", "classes": [1, 2, ...]}  (for edt: "mask": "mask.raw")
Raw files are uint8, x fastest (Fortran order of an array indexed [x, y, z]).
"""
import json
import sys

import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure


def load(path, dims):
    return np.fromfile(path, dtype=np.uint8).reshape(dims, order="F")


def surface(mask):
    # medpy.metric.binary.__surface_distances: result ^ binary_erosion(result, footprint, 1)
    footprint = generate_binary_structure(mask.ndim, 1)
    return mask ^ binary_erosion(mask, structure=footprint, iterations=1)


def surface_distances(a, b, spacing):
    """d(a -> b): for each surface voxel of a, the distance to the nearest surface voxel of b."""
    dt = distance_transform_edt(~surface(b), sampling=spacing)
    return dt[surface(a)]


def metrics(a, b, spacing):
    na, nb = int(np.count_nonzero(a)), int(np.count_nonzero(b))
    if na == 0 and nb == 0:
        return {"status": "BOTH_EMPTY", "dice": 1.0, "jaccard": 1.0, "hd": 0.0, "hd95": 0.0,
                "assd": 0.0, "hd95_monai": 0.0, "assd_monai": 0.0, "pred": 0, "truth": 0}
    inter = int(np.count_nonzero(a & b))
    dice = 2.0 * inter / float(na + nb)                   # medpy dc
    jaccard = inter / float(np.count_nonzero(a | b))      # medpy jc
    if na == 0 or nb == 0:
        nan = float("nan")
        return {"status": "PRED_EMPTY" if na == 0 else "TRUTH_EMPTY", "dice": dice,
                "jaccard": jaccard, "hd": nan, "hd95": nan, "assd": nan, "hd95_monai": nan,
                "assd_monai": nan, "pred": na, "truth": nb}
    d_ab = surface_distances(a, b, spacing)               # medpy hd: hd1 = __sd(result, reference)
    d_ba = surface_distances(b, a, spacing)
    pooled = np.hstack((d_ab, d_ba))
    return {"status": "OK", "dice": dice, "jaccard": jaccard,
            "hd": float(max(d_ab.max(), d_ba.max())),
            "hd95": float(np.percentile(pooled, 95)),
            "assd": float(np.mean((d_ab.mean(), d_ba.mean()))),
            "hd95_monai": float(max(np.percentile(d_ab, 95), np.percentile(d_ba, 95))),
            "assd_monai": float(pooled.mean()),
            "pred": na, "truth": nb, "pred_surface": int(d_ab.size), "truth_surface": int(d_ba.size)}


def main():
    op, spec_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    dims, spacing = spec["dims"], [float(s) for s in spec["spacing"]]
    if op == "metrics":
        pred, truth = load(spec["pred"], dims), load(spec["truth"], dims)
        out = {str(c): metrics(pred == c, truth == c, spacing) for c in spec["classes"]}
        print(json.dumps(out))
    elif op == "edt":
        mask = load(spec["mask"], dims).astype(bool)
        dt = distance_transform_edt(~mask, sampling=spacing)
        dt.astype("<f8").ravel(order="F").tofile(sys.argv[3])
        print(json.dumps({"max": float(dt.max())}))
    else:
        raise SystemExit("unknown op " + op)


if __name__ == "__main__":
    main()
