"""The peer side of scripts/bench/preprocess.sh: nibabel read and scipy window + zoom, timed.

usage: preprocess_peer.py IN.nii.gz OURS.raw NX NY NZ LO HI REPEATS
Prints one JSON object: best times in seconds and the largest difference to VoxelSeg's output.
"""
import json
import sys
import time

import nibabel as nib
import numpy as np
from scipy import ndimage

src, ours = sys.argv[1], sys.argv[2]
shape = [int(v) for v in sys.argv[3:6]]
lo, hi = float(sys.argv[6]), float(sys.argv[7])
reps = int(sys.argv[8])


def best(fn):
    t = []
    r = None
    for _ in range(reps):
        t0 = time.perf_counter()
        r = fn()
        t.append(time.perf_counter() - t0)
    return min(t), r


read_s, a = best(lambda: np.asanyarray(nib.load(src).dataobj))


def pipeline():
    w = (np.clip(a, lo, hi).astype(np.float32) - np.float32(lo)) / np.float32(hi - lo)
    f = [shape[i] / a.shape[i] for i in range(3)]
    return ndimage.zoom(w, f, order=1, grid_mode=True, mode="nearest")


pre_s, out = best(pipeline)
mine = np.fromfile(ours, dtype="<f4").reshape(shape, order="F")
print(json.dumps({"read_s": read_s, "preprocess_s": pre_s, "shape": list(a.shape),
                  "dtype": str(a.dtype), "max_abs_diff": float(np.abs(mine - out).max())}))
