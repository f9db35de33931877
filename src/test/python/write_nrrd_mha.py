"""Oracle for the NRRD and MetaImage readers: writes small volumes with numpy, byte by byte as the
format specifications describe, and prints (JSON) what each file is meant to hold: voxel values
x fastest, spacing, and origin/direction converted to RAS+ here, independently of the Java code.

usage: write_nrrd_mha.py OUTDIR
"""
import gzip
import json
import os
import sys
import zlib

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(7)
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])


def rotation(ax, ay, az):
    """A general rotation (no symmetry), so a transposed reading would be caught."""
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


cases = []


def record(name, path, vol, spacing, origin, direction, frame):
    """vol is indexed [z, y, x]; direction columns are the axis vectors in `frame`."""
    d = np.asarray(direction, float)
    o = np.asarray(origin, float)
    if frame == "LPS":
        d, o = LPS_TO_RAS @ d, LPS_TO_RAS @ o
    nz, ny, nx = vol.shape
    far = o + d @ (np.asarray(spacing) * np.array([nx - 1, ny - 1, nz - 1]))
    cases.append({
        "name": name, "file": path, "dims": [nx, ny, nz], "spacing": list(map(float, spacing)),
        "origin": o.tolist(), "direction": d.reshape(-1).tolist(), "far_corner": far.tolist(),
        "values": vol.astype(np.float64).reshape(-1).tolist(),
    })


def vec(v):
    return "(" + ",".join(repr(float(x)) for x in v) + ")"


def nrrd_header(type_name, shape_zyx, encoding, endian, space, directions, origin, extra=""):
    nz, ny, nx = shape_zyx
    h = "NRRD0004\n# written by the VoxelSeg test oracle\n"
    h += f"type: {type_name}\ndimension: 3\nspace: {space}\nsizes: {nx} {ny} {nz}\n"
    h += "space directions: " + " ".join(vec(directions[:, c]) for c in range(3)) + "\n"
    h += "kinds: domain domain domain\n"
    if endian:
        h += f"endian: {endian}\n"
    h += f"encoding: {encoding}\nspace origin: {vec(origin)}\n" + extra
    return h


shape = (3, 4, 5)  # z, y, x

# 1. NRRD, attached, raw, int16 little-endian, LPS, oblique.
R = rotation(0.3, -0.2, 0.5)
sp = np.array([0.7, 0.9, 2.5])
org = np.array([-10.5, 20.25, 33.0])
v = rng.integers(-2000, 3000, size=shape).astype("<i2")
p = os.path.join(out, "lps_raw.nrrd")
with open(p, "wb") as f:
    f.write((nrrd_header("short", shape, "raw", "little", "left-posterior-superior", R * sp, org) + "\n").encode())
    f.write(v.tobytes())
record("lps_raw", p, v, sp, org, R, "LPS")

# 2. NRRD, attached, gzip, float32 big-endian, RAS.
R2 = rotation(-0.4, 0.1, 0.25)
sp2 = np.array([1.25, 1.25, 3.0])
org2 = np.array([5.0, -7.5, 100.0])
v2 = rng.normal(size=shape).astype(">f4")
p = os.path.join(out, "ras_gzip_big.nrrd")
with open(p, "wb") as f:
    f.write((nrrd_header("float", shape, "gzip", "big", "RAS", R2 * sp2, org2) + "\n").encode())
    f.write(gzip.compress(v2.tobytes()))
record("ras_gzip_big", p, v2, sp2, org2, R2, "RAS")

# 3. NRRD, detached header, uint16 big-endian, 'datafile:' spelling, byte skip 5, LPS.
v3 = rng.integers(0, 65535, size=shape).astype(">u2")
p = os.path.join(out, "detached.nhdr")
with open(os.path.join(out, "detached.raw"), "wb") as f:
    f.write(b"JUNK!" + v3.tobytes())
with open(p, "w") as f:
    f.write(nrrd_header("unsigned short", shape, "raw", "big", "LPS", R * sp, org, "byte skip: 5\ndatafile: detached.raw\n"))
record("detached", p, v3, sp, org, R, "LPS")

# 4. NRRD, detached gzip data, int32 ('signed int'), 'data file:' spelling.
v4 = rng.integers(-10**6, 10**6, size=shape).astype("<i4")
p = os.path.join(out, "detached_gz.nhdr")
with open(os.path.join(out, "detached_gz.raw.gz"), "wb") as f:
    f.write(gzip.compress(v4.tobytes()))
with open(p, "w") as f:
    f.write(nrrd_header("signed int", shape, "gz", "little", "left-posterior-superior", R2 * sp2, org2, "data file: detached_gz.raw.gz\n"))
record("detached_gz", p, v4, sp2, org2, R2, "LPS")

# 5. NRRD, ascii, double.
v5 = np.round(rng.normal(size=shape) * 100, 3)
p = os.path.join(out, "ascii.nrrd")
with open(p, "w") as f:
    f.write(nrrd_header("double", shape, "ascii", None, "right-anterior-superior", np.diag(sp), org) + "\n")
    f.write("\n".join(" ".join(repr(float(x)) for x in row) for row in v5.reshape(-1, shape[2])) + "\n")
record("ascii", p, v5, sp, org, np.eye(3), "RAS")

# MetaImage: TransformMatrix lists axis 0's direction, then axis 1's, then axis 2's (ITK).
def mha_header(etype, shape_zyx, direction, spacing, origin, msb, compressed, datafile, extra=""):
    nz, ny, nx = shape_zyx
    h = "ObjectType = Image\nNDims = 3\nBinaryData = True\n"
    h += f"BinaryDataByteOrderMSB = {'True' if msb else 'False'}\n"
    h += f"CompressedData = {'True' if compressed else 'False'}\n"
    h += "TransformMatrix = " + " ".join(repr(float(x)) for x in direction.T.reshape(-1)) + "\n"
    h += "Offset = " + " ".join(repr(float(x)) for x in origin) + "\n"
    h += "CenterOfRotation = 0 0 0\nAnatomicalOrientation = RAI\n"
    h += "ElementSpacing = " + " ".join(repr(float(x)) for x in spacing) + "\n"
    h += f"DimSize = {nx} {ny} {nz}\n" + extra + f"ElementType = {etype}\nElementDataFile = {datafile}\n"
    return h

# 6. .mha LOCAL, int16 little-endian, oblique LPS.
v6 = rng.integers(-1024, 2000, size=shape).astype("<i2")
p = os.path.join(out, "local.mha")
with open(p, "wb") as f:
    f.write(mha_header("MET_SHORT", shape, R, sp, org, False, False, "LOCAL").encode())
    f.write(v6.tobytes())
record("local_mha", p, v6, sp, org, R, "LPS")

# 7. .mhd + .zraw (zlib), float32 big-endian.
v7 = rng.normal(size=shape).astype(">f4")
p = os.path.join(out, "compressed.mhd")
with open(os.path.join(out, "compressed.zraw"), "wb") as f:
    f.write(zlib.compress(v7.tobytes()))
with open(p, "w") as f:
    f.write(mha_header("MET_FLOAT", shape, R2, sp2, org2, True, True, "compressed.zraw"))
record("compressed_mhd", p, v7, sp2, org2, R2, "LPS")

# 8. .mhd + .raw with HeaderSize = -1 (data at the end), uchar, ElementSize instead of spacing.
v8 = rng.integers(0, 255, size=shape).astype("u1")
p = os.path.join(out, "tail.mhd")
with open(os.path.join(out, "tail.raw"), "wb") as f:
    f.write(b"\x00" * 123 + v8.tobytes())
with open(p, "w") as f:
    f.write(mha_header("MET_UCHAR", shape, np.eye(3), sp, org, False, False, "tail.raw", "HeaderSize = -1\n")
            .replace("ElementSpacing", "ElementSize"))
record("tail_mhd", p, v8, sp, org, np.eye(3), "LPS")

print(json.dumps(cases))
