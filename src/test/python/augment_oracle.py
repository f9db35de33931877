"""scipy.ndimage oracle for VoxelSeg's spatial augmentation (sc.fiji.voxelseg.train.Augmentation):
rotation about z through the volume centre and isotropic scaling, as an affine map of voxel
coordinates; the image trilinearly (order 1) and the labels by nearest neighbour (order 0), zero
outside the volume (mode 'grid-constant', so that the image interpolates toward 0 across the
border).

usage: augment_oracle.py IMAGE.f32 LABELS.u8 NX NY NZ ANGLE_RAD SCALE OUT_PREFIX
Reads x-fastest float32 / uint8 arrays; writes OUT_PREFIX.f32 and OUT_PREFIX.u8 (x fastest) and
OUT_PREFIX.tie.u8, 1 where a label's source coordinate lies within 1e-6 of a half-voxel (a float tie
for nearest-neighbour rounding). Prints {"ties": n}.
"""
import json
import sys

import numpy as np
from scipy import ndimage

img_file, lab_file, nx, ny, nz, angle, scale, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(
    sys.argv[6]), float(sys.argv[7]), sys.argv[8]
img = np.fromfile(img_file, dtype="<f4").reshape(nz, ny, nx).astype(np.float64)
lab = np.fromfile(lab_file, dtype=np.uint8).reshape(nz, ny, nx)
c, s = np.cos(angle) / scale, np.sin(angle) / scale
# output (z, y, x) -> input (z, y, x): x' = c dx + s dy, y' = -s dx + c dy, z' = dz / scale around the centre
m = np.array([[1 / scale, 0, 0], [0, c, -s], [0, s, c]])
centre = np.array([(nz - 1) / 2, (ny - 1) / 2, (nx - 1) / 2])
offset = centre - m @ centre
a = ndimage.affine_transform(img, m, offset=offset, order=1, mode="grid-constant", cval=0.0)
b = ndimage.affine_transform(lab, m, offset=offset, order=0, mode="grid-constant", cval=0)
zz, yy, xx = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
src = np.einsum("ij,jzyx->izyx", m, np.stack([zz, yy, xx]).astype(np.float64)) + offset[:, None, None, None]
tie = (np.abs(np.abs(src - np.floor(src)) - 0.5) < 1e-6).any(axis=0)
a.astype("<f4").tofile(out + ".f32")
b.astype(np.uint8).tofile(out + ".u8")
tie.astype(np.uint8).tofile(out + ".tie.u8")
print(json.dumps({"ties": int(tie.sum())}))
