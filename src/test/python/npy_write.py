"""Writes .npy files with numpy for NpyTest: the same 2x3x4 array (values i * 0.5 - 3) as
little-endian float32, float64, big-endian float32, and Fortran order.

usage: npy_write.py DIR
"""
import os
import sys

import numpy as np

d = sys.argv[1]
a = (np.arange(24, dtype=np.float64) * 0.5 - 3).reshape(2, 3, 4)
np.save(os.path.join(d, "f4.npy"), a.astype("<f4"))
np.save(os.path.join(d, "f8.npy"), a.astype("<f8"))
np.save(os.path.join(d, "be.npy"), a.astype(">f4"))
np.save(os.path.join(d, "fortran.npy"), np.asfortranarray(a.astype("<f4")))
np.save(os.path.join(d, "ints.npy"), a.astype("<i4"))
print("{}")
