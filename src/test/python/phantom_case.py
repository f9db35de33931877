"""Independent check of a written phantom case with nibabel.

Usage: phantom_case.py IMAGE LABEL
Prints JSON: shape, zooms (mm), affine (RAS+), dtypes, and per label value its voxel count,
volume in mL and mean HU.
"""
import json
import sys

import nibabel as nib
import numpy as np

img = nib.load(sys.argv[1])
lab = nib.load(sys.argv[2])
hu = np.asarray(img.dataobj)
lv = np.asarray(lab.dataobj)
zooms = [float(z) for z in img.header.get_zooms()[:3]]
voxel_ml = float(np.prod(zooms)) / 1000.0
labels = {}
for v in np.unique(lv):
    m = lv == v
    labels[str(int(v))] = {
        "voxels": int(m.sum()),
        "ml": float(m.sum()) * voxel_ml,
        "mean_hu": float(hu[m].astype(np.float64).mean()),
    }
print(json.dumps({
    "shape": [int(s) for s in hu.shape],
    "label_shape": [int(s) for s in lv.shape],
    "zooms": zooms,
    "affine": img.affine.tolist(),
    "label_affine": lab.affine.tolist(),
    "image_dtype": str(img.get_data_dtype()),
    "label_dtype": str(lab.get_data_dtype()),
    "labels": labels,
}))
