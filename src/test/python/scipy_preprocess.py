"""Oracle for VoxelSeg's preprocessing: reads a NIfTI with nibabel, applies an operation with
numpy/scipy and writes the result as raw little-endian float32 (x fastest, like VoxelSeg).

usage: scipy_preprocess.py IN.nii OUT.raw OP [args...]
  zoom ORDER NX NY NZ [LO HI]   clip to [LO, HI] and scale to [0, 1] first if given, then
                                scipy.ndimage.zoom(order=ORDER, grid_mode=True, mode='nearest')
  percentile LO HI              prints numpy.percentile values as JSON
"""
import json
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage

src, out, op = sys.argv[1], sys.argv[2], sys.argv[3]
a = np.asanyarray(nib.load(src).dataobj).astype(np.float64)
if op == "zoom":
    order = int(sys.argv[4])
    shape = [int(v) for v in sys.argv[5:8]]
    if len(sys.argv) > 8:
        lo, hi = float(sys.argv[8]), float(sys.argv[9])
        a = (np.clip(a, lo, hi) - lo) / (hi - lo)
    factors = [shape[i] / a.shape[i] for i in range(3)]
    r = ndimage.zoom(a, factors, order=order, grid_mode=True, mode="nearest")
    assert list(r.shape) == shape, (r.shape, shape)
    # x fastest: Fortran order of the (x, y, z) array
    r.astype("<f4").ravel(order="F").tofile(out)
    print(json.dumps({"shape": list(r.shape)}))
elif op == "percentile":
    lo, hi = float(sys.argv[4]), float(sys.argv[5])
    print(json.dumps({"low": float(np.percentile(a, lo)), "high": float(np.percentile(a, hi)),
                      "mean": float(a.mean()), "std": float(a.std())}))
else:
    raise SystemExit("unknown op " + op)
