#!/usr/bin/python3
"""nibabel as the oracle for VoxelSeg's NIfTI reader and writer.

Usage:
  nifti_oracle.py list             JSON list of NIfTI files from nibabel's and ITK's test data
  nifti_oracle.py make OUTDIR      writes NIfTI files with nibabel (NIfTI-2, big-endian, slope and
                                   intercept, qform-only, no transform, several datatypes);
                                   prints the JSON list of their paths
  nifti_oracle.py info FILE...     JSON object, per file: what nibabel reads (see describe())
  nifti_oracle.py dump FILE...     as info, plus every voxel (x fastest), the qform, the codes
                                   and the extensions
  nifti_oracle.py arrays DIR FILE... as info, plus every voxel of each file (x fastest) as a
                                   little-endian float64 file in DIR, named in "values_file"

Geometry is nibabel's img.affine (get_best_affine): spacing = column norms of affine[:3,:3],
direction = normalised columns (row-major), origin = affine[:3,3]. Values are img.get_fdata(),
i.e. after scl_slope/scl_inter.
"""
import glob
import json
import os
import sys

import numpy as np
import nibabel as nib

NIBABEL_DATA = os.path.join(os.path.dirname(nib.__file__), 'tests', 'data')
ITK_DATA = '/usr/share/doc/insighttoolkit5-examples/examples/Data'


def list_files():
    files = []
    for d in (NIBABEL_DATA, ITK_DATA):
        files += glob.glob(os.path.join(d, '*.nii')) + glob.glob(os.path.join(d, '*.nii.gz'))
    return sorted(files)


def load(path):
    img = nib.load(path)
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)) or isinstance(
            img, nib.Cifti2Image):
        # CIFTI files are NIfTI-2 containers; read them as plain NIfTI-2.
        img = nib.Nifti2Image.from_filename(path)
    return img


def geometry(affine):
    m = np.asarray(affine[:3, :3], dtype=np.float64)
    spacing = np.linalg.norm(m, axis=0)
    direction = m / spacing
    return {
        'spacing': spacing.tolist(),
        'origin': np.asarray(affine[:3, 3], dtype=np.float64).tolist(),
        'direction': direction.reshape(-1).tolist(),  # row-major, column c = axis c
    }


def describe(path, full=False):
    img = load(path)
    hdr = img.header
    shape = [int(s) for s in img.shape]
    extra = int(np.prod(shape[3:])) if len(shape) > 3 else 1
    # nibabel moves scl_slope/scl_inter from the header to the array proxy on load
    slope, inter = getattr(img.dataobj, 'slope', 1.0), getattr(img.dataobj, 'inter', 0.0)
    scaled = not (slope == 1 and inter == 0)
    out = {
        'file': path,
        'version': 2 if isinstance(hdr, nib.Nifti2Header) else 1,
        'shape': shape,
        'volumes': extra,
        'dtype': hdr.get_data_dtype().name,  # e.g. int16 (byte order stripped)
        'endianness': 'big' if hdr.endianness == '>' else 'little',
        'scaled': bool(scaled),
        'slope': float(slope),
        'inter': float(inter),
        'qform_code': int(hdr['qform_code']),
        'sform_code': int(hdr['sform_code']),
    }
    out.update(geometry(img.affine))
    if extra != 1:
        return out  # VoxelSeg refuses 4D data: no voxel statistics
    data = np.asarray(img.get_fdata(), dtype=np.float64)
    data = data.reshape(shape[:3] + [1] * (3 - len(shape[:3])))
    nx, ny, nz = data.shape
    out['dims'] = [nx, ny, nz]
    # statistics over the finite voxels; VoxelSeg refuses NaN/Inf unless told to accept them
    out['nonfinite'] = int((~np.isfinite(data)).sum())
    fin = data[np.isfinite(data)]
    out['min'] = float(fin.min())
    out['max'] = float(fin.max())
    out['mean'] = float(fin.mean())
    out['sum'] = float(fin.sum())
    out['abssum'] = float(np.abs(fin).sum())
    idx = [(0, 0, 0), (nx - 1, ny - 1, nz - 1), (nx // 2, ny // 2, nz // 2), (nx - 1, 0, 0),
           (0, ny - 1, 0), (0, 0, nz - 1)]
    rng = np.random.default_rng(12345)
    for _ in range(8):
        idx.append((int(rng.integers(nx)), int(rng.integers(ny)), int(rng.integers(nz))))
    out['samples'] = [[i, j, k, float(data[i, j, k])] for (i, j, k) in idx]
    if full:
        out['values'] = data.ravel(order='F').tolist()  # x fastest
        out['affine'] = np.asarray(img.affine, dtype=np.float64).tolist()
        out['qform'] = np.asarray(hdr.get_qform(), dtype=np.float64).tolist()
        out['sform'] = np.asarray(hdr.get_sform(), dtype=np.float64).tolist()
        out['quatern'] = [float(hdr['quatern_b']), float(hdr['quatern_c']),
                          float(hdr['quatern_d'])]
        out['qfac'] = float(hdr['pixdim'][0])
        out['intent_code'] = int(hdr['intent_code'])
        out['vox_offset'] = float(hdr['vox_offset'])
        out['extensions'] = [{'code': int(e.get_code()),
                              'content': e.get_content().decode('utf-8', 'replace')
                              .rstrip('\0').strip()}
                             for e in hdr.extensions]
    return out


def oblique(det_sign):
    """A rotation about an oblique axis, with the third column negated if det_sign < 0."""
    ax = np.array([1.0, 2.0, 3.0])
    ax /= np.linalg.norm(ax)
    t = 0.7
    k = np.array([[0, -ax[2], ax[1]], [ax[2], 0, -ax[0]], [-ax[1], ax[0], 0]])
    r = np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k
    if det_sign < 0:
        r[:, 2] *= -1
    return r


def affine(r, spacing, origin):
    a = np.eye(4)
    a[:3, :3] = r * np.asarray(spacing, dtype=np.float64)
    a[:3, 3] = origin
    return a


def make(outdir):
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(7)
    written = []

    def save_scaled(img, slope, inter, name, big_endian=False):
        # nibabel resets scl_slope/scl_inter when it saves an array image, so the header is
        # written by nibabel and the stored integers are appended after vox_offset.
        hdr = img.header.copy()
        if big_endian:
            hdr = hdr.as_byteswapped('>')
        hdr.set_data_shape(img.shape)
        hdr.set_slope_inter(slope, inter)
        offset = int(hdr.sizeof_hdr) + 4
        hdr['vox_offset'] = offset
        raw = np.asanyarray(img.dataobj).astype(hdr.get_data_dtype())
        path = os.path.join(outdir, name)
        with nib.openers.ImageOpener(path, 'wb') as fobj:
            hdr.write_to(fobj)
            fobj.write(b'\0' * (offset - fobj.tell()))  # write_to wrote the extension flag
            fobj.write(raw.tobytes(order='F'))
        written.append(path)

    def save(img, name, big_endian=False):
        if big_endian:
            hdr = img.header.as_byteswapped('>')
            img = type(img)(np.asanyarray(img.dataobj), img.affine, header=hdr)
        path = os.path.join(outdir, name)
        nib.save(img, path)
        written.append(path)

    shape = (7, 5, 4)
    a_obl = affine(oblique(+1), (0.8, 1.1, 2.5), (-12.5, 30.25, 4.0))
    a_obl_neg = affine(oblique(-1), (1.5, 0.7, 3.0), (100.0, -20.0, -55.5))

    # NIfTI-2, little- and big-endian, plain and gzip
    d = rng.integers(-3000, 3000, size=shape).astype(np.int16)
    save(nib.Nifti2Image(d, a_obl), 'nifti2_int16_le.nii')
    save(nib.Nifti2Image(d, a_obl_neg), 'nifti2_int16_be.nii.gz', big_endian=True)
    f = rng.normal(size=shape).astype(np.float32) * 100
    save(nib.Nifti2Image(f, a_obl_neg), 'nifti2_float32_be.nii', big_endian=True)
    # NIfTI-2 with scaling on float64 data
    img = nib.Nifti2Image(rng.normal(size=shape), a_obl)
    save_scaled(img, 2.0, -1.5, 'nifti2_float64_slope.nii')

    # NIfTI-1 big-endian types
    save(nib.Nifti1Image(rng.integers(-100000, 100000, size=shape).astype(np.int32), a_obl),
         'nifti1_int32_be.nii', big_endian=True)
    save(nib.Nifti1Image(rng.integers(0, 60000, size=shape).astype(np.uint16), a_obl_neg),
         'nifti1_uint16_be.nii.gz', big_endian=True)
    save(nib.Nifti1Image(rng.integers(-128, 128, size=shape).astype(np.int8), a_obl),
         'nifti1_int8.nii')
    save(nib.Nifti1Image(rng.normal(size=shape), a_obl_neg), 'nifti1_float64_be.nii',
         big_endian=True)

    # slope and intercept
    img = nib.Nifti1Image(rng.integers(-1000, 1000, size=shape).astype(np.int16), a_obl)
    save_scaled(img, 0.25, -10.0, 'nifti1_int16_slope_inter.nii.gz')
    img = nib.Nifti1Image(rng.integers(0, 255, size=shape).astype(np.uint8), a_obl_neg)
    save_scaled(img, 2.5, 3.0, 'nifti1_uint8_slope_inter_be.nii', big_endian=True)
    img = nib.Nifti1Image(rng.integers(0, 60000, size=shape).astype(np.uint16), a_obl)
    save_scaled(img, 1.0, 1024.0, 'nifti1_uint16_inter_only.nii')  # intercept only

    # qform only (sform_code 0), det +1 and det -1 (qfac -1)
    for name, a in (('nifti1_qform_only_detpos.nii', a_obl),
                    ('nifti1_qform_only_detneg.nii.gz', a_obl_neg)):
        img = nib.Nifti1Image(rng.normal(size=shape).astype(np.float32), None)
        img.header.set_qform(a, code=1)
        img.header.set_sform(None, code=0)
        save(img, name)
    # sform only (qform_code 0), sform differs from the default
    img = nib.Nifti1Image(rng.integers(0, 10, size=shape).astype(np.uint8), None)
    img.header.set_sform(a_obl_neg, code=2)
    img.header.set_qform(None, code=0)
    save(img, 'nifti1_sform_only.nii')
    # neither: nibabel's base affine (x flipped, centred)
    img = nib.Nifti1Image(rng.integers(0, 10, size=shape).astype(np.int16), None)
    img.header.set_zooms((1.2, 0.9, 3.0))
    img.header.set_qform(None, code=0)
    img.header.set_sform(None, code=0)
    save(img, 'nifti1_no_transform.nii')
    # a trailing singleton 4th dimension is still a 3D volume
    save(nib.Nifti1Image(rng.integers(0, 100, size=shape + (1,)).astype(np.uint8), a_obl),
         'nifti1_trailing_singleton.nii.gz')
    # uint32 and int64
    save(nib.Nifti1Image(rng.integers(0, 4_000_000_000, size=shape).astype(np.uint32), a_obl),
         'nifti1_uint32.nii')
    save(nib.Nifti2Image(rng.integers(-10**6, 10**6, size=shape).astype(np.int64), a_obl,
                        dtype=np.int64),
         'nifti2_int64.nii.gz')
    # a 4D NIfTI-2 file: VoxelSeg must refuse it clearly
    save(nib.Nifti2Image(rng.integers(0, 9, size=shape + (3,)).astype(np.int16), a_obl),
         'nifti2_4d.nii.gz')
    return written


def main(argv):
    cmd = argv[1]
    if cmd == 'list':
        print(json.dumps(list_files()))
    elif cmd == 'make':
        print(json.dumps(make(argv[2])))
    elif cmd in ('info', 'dump'):
        print(json.dumps({p: describe(p, full=cmd == 'dump') for p in argv[2:]}))
    elif cmd == 'arrays':
        # as info, and every voxel of each 3D file as little-endian float64 (x fastest) in OUTDIR
        outdir, out = argv[2], {}
        os.makedirs(outdir, exist_ok=True)
        for i, p in enumerate(argv[3:]):
            d = describe(p)
            if d['volumes'] == 1:
                data = np.asarray(load(p).get_fdata(), dtype=np.float64)
                f = os.path.join(outdir, '%03d.f64' % i)
                data.reshape(d['dims'], order='A').ravel(order='F').astype('<f8').tofile(f)
                d['values_file'] = f
            out[p] = d
        print(json.dumps(out))
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main(sys.argv)
