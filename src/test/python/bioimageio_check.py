"""Independent reading of a bioimage.io model package with Debian's python3-yaml and python3-numpy:
the parsed rdf.yaml, the sha256 of every file, and shape, dtype and range of every .npy, as JSON,
for BioImageIoTest.

usage: bioimageio_check.py PACKAGE.zip
"""
import hashlib
import io
import json
import sys
import zipfile

import numpy as np
import yaml

z = zipfile.ZipFile(sys.argv[1])
files = {n: z.read(n) for n in z.namelist()}
rdf = yaml.safe_load(files["rdf.yaml"].decode("utf-8"))
arrays = {}
for name, data in files.items():
    if name.endswith(".npy"):
        a = np.load(io.BytesIO(data), allow_pickle=False)
        arrays[name] = {"shape": list(a.shape), "dtype": str(a.dtype), "min": float(a.min()), "max": float(a.max()),
                        "channel_sums_min": float(a.sum(axis=1).min()) if a.ndim == 5 else None,
                        "channel_sums_max": float(a.sum(axis=1).max()) if a.ndim == 5 else None}
print(json.dumps({
    "rdf": rdf,
    "sha256": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()},
    "arrays": arrays,
    "png": {n: d[:8] == b"\x89PNG\r\n\x1a\n" for n, d in files.items() if n.endswith(".png")},
}, default=str))
