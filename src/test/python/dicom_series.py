"""Oracle for the DICOM series reader, built on pydicom.

usage:
  dicom_series.py make OUTDIR MODE   writes a series folder made from pydicom's CT_small.dcm;
                                     MODE: series, slope, oblique, mixed, gap
  dicom_series.py oracle PATH OUTBIN reads a folder (or one file) with pydicom, sorts the slices
                                     along the normal, writes stored*slope+intercept as float32
                                     (x fastest, z slowest) to OUTBIN and prints the geometry in
                                     RAS+ as JSON
"""
import glob
import json
import os
import sys

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])


def make(out, mode):
    os.makedirs(out, exist_ok=True)
    src = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    base = np.array([float(x) for x in src.ImagePositionPatient])
    row, col = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    if mode == "oblique":
        a, b = 0.4, 0.25  # rotate about z, then about the new x: every cosine is oblique
        rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
        rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
        r = rz @ rx
        row, col = r[:, 0], r[:, 1]
    normal = np.cross(row, col)
    step = 2.5
    n = 5
    uid_a, uid_b = generate_uid(), generate_uid()
    names = ["zz", "b07", "a99", "m3", "c1"]  # name order is not position order
    order = [3, 0, 4, 1, 2]  # which position each file gets
    stored = src.pixel_array.astype(np.int16)
    for f in range(n):
        k = order[f]
        if mode == "gap" and k == 2:
            continue
        ds = src.copy()
        ds.SeriesInstanceUID = uid_b if (mode == "mixed" and f >= 3) else uid_a
        ds.SOPInstanceUID = generate_uid()
        ds.InstanceNumber = n - k  # instance numbers run against the positions
        pos = base + k * step * normal
        ds.ImagePositionPatient = [f"{x:.6f}" for x in pos]
        ds.ImageOrientationPatient = [f"{x:.6f}" for x in np.concatenate([row, col])]
        px = (stored + 37 * k - 600).astype(np.int16)  # some negative stored values
        ds.PixelData = px.tobytes()
        if mode == "slope":
            ds.RescaleSlope = "2.5"
            ds.RescaleIntercept = "-1000"
        ds.save_as(os.path.join(out, names[f] + ".dcm"))
    print(json.dumps({"folder": out, "uids": [uid_a, uid_b]}))


def oracle(path, outbin):
    files = [path] if os.path.isfile(path) else sorted(
        p for p in glob.glob(os.path.join(path, "*")) if os.path.isfile(p) and os.path.basename(p) != "DICOMDIR")
    ds = [pydicom.dcmread(p) for p in files]
    iop = np.array([float(x) for x in ds[0].ImageOrientationPatient])
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    normal /= np.linalg.norm(normal)
    ds.sort(key=lambda d: float(np.dot(normal, [float(x) for x in d.ImagePositionPatient])))
    along = [float(np.dot(normal, [float(x) for x in d.ImagePositionPatient])) for d in ds]
    if len(ds) > 1:
        dz = float(np.median(np.diff(along)))
    else:
        dz = float(ds[0].get("SpacingBetweenSlices", 0) or ds[0].get("SliceThickness", 0) or 1)
    vol = np.stack([d.pixel_array.astype(np.float64) * float(d.get("RescaleSlope", 1))
                    + float(d.get("RescaleIntercept", 0)) for d in ds])
    vol.astype("<f4").tofile(outbin)
    ps = [float(x) for x in ds[0].PixelSpacing]
    direction = LPS_TO_RAS @ np.column_stack([row, col, normal])
    origin = LPS_TO_RAS @ np.array([float(x) for x in ds[0].ImagePositionPatient])
    print(json.dumps({
        "dims": [int(ds[0].Columns), int(ds[0].Rows), len(ds)],
        "spacing": [ps[1], ps[0], dz], "origin": origin.tolist(),
        "direction": direction.reshape(-1).tolist(),
        "first_hu": float(vol[0, 0, 0]),
    }))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        oracle(sys.argv[2], sys.argv[3])
