"""The peer side of scripts/bench/preprocess.sh: nibabel read and scipy window + zoom.

usage: preprocess_peer.py IN.nii.gz OURS.raw NX NY NZ LO HI THREADS

A worker: it loads IN.nii.gz, runs every variant once (untimed) and compares its output with
VoxelSeg's (OURS.raw: float32, x fastest), prints one JSON line {"ready": ...} with the largest
differences, then answers each line "TASK N" on stdin with one JSON line {"s": [...], "cpu_s":
...}: the wall seconds of N back-to-back runs of TASK and the process CPU seconds of all N. An
empty line or EOF ends it.

Tasks:
  read      np.asanyarray(nib.load(f).dataobj)
  plain     the untuned peer kept for continuity: np.clip with Python float bounds (a float64
            copy of all 52 M voxels, 419 MB), cast to float32, window, then ndimage.zoom on
            nibabel's Fortran-ordered array
  tuned     one thread, as a competent user writes it: np.clip in int16 in place (on the
            worker's own copy of the volume, so the other variants see the data nibabel gave;
            clipping already clipped data takes the same time as clipping fresh data),
            ndimage.zoom of the int16 straight to float32 output (the same values as zooming a
            float32 copy, without the 210 MB copy), on the C-ordered view a.T (scipy walks the
            output in C order, so on the Fortran-ordered array every output row strides across
            the whole input), and the window's scale and offset on the 1 M output voxels after
            the zoom (an affine map commutes with linear interpolation)
  threaded  the tuned steps on THREADS threads (scipy.ndimage's interpolation and numpy's
            clip release the GIL): the clip in disjoint slabs of input z slices, then the zoom
            in slabs of output z slices, each with ndimage.affine_transform on the input rows
            it reads and the zoom's grid_mode mapping (input = (output + 0.5) * n_in / n_out -
            0.5), then the scale and offset per slab
"""
import json
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import nibabel as nib
import numpy as np
from scipy import ndimage

src, ours = sys.argv[1], sys.argv[2]
shape = [int(v) for v in sys.argv[3:6]]
lo, hi = float(sys.argv[6]), float(sys.argv[7])
threads = int(sys.argv[8])


def read():
    return np.asanyarray(nib.load(src).dataobj)


# a 1-D matrix is the diagonal (scipy's zoom/shift path); scipy warns that this changed in 0.18
warnings.filterwarnings("ignore", "The behavior of affine_transform with a 1-D array", UserWarning)
a = read()
if a.dtype != np.int16 or not a.flags.f_contiguous:
    sys.exit("preprocess_peer.py expects nibabel to give a Fortran-ordered int16 array, got %s %s"
             % (a.dtype, "F" if a.flags.f_contiguous else "C"))
lo16, hi16 = np.int16(lo), np.int16(hi)
lo32, scale32 = np.float32(lo), np.float32(hi - lo)
zoom = [shape[i] / a.shape[i] for i in range(3)]
mine = a.copy(order="F")   # the tuned variants clip this copy in place
mine_t = mine.T            # C-ordered view: z, y, x
zoom_t = zoom[::-1]
out_t_shape = tuple(shape[::-1])


def plain():
    w = (np.clip(a, lo, hi).astype(np.float32) - np.float32(lo)) / np.float32(hi - lo)
    return ndimage.zoom(w, zoom, order=1, grid_mode=True, mode="nearest")


def tuned():
    np.clip(mine_t, lo16, hi16, out=mine_t)
    z = ndimage.zoom(mine_t, zoom_t, order=1, grid_mode=True, mode="nearest", output=np.float32)
    z -= lo32
    z /= scale32
    return z.T


pool = ThreadPoolExecutor(threads) if threads > 1 else None
n_in, n_out = mine_t.shape[0], out_t_shape[0]
steps = [mine_t.shape[i] / out_t_shape[i] for i in range(3)]  # input voxels per output voxel
parts = max(threads, 1)
clip_slabs = [(n_in * k // parts, n_in * (k + 1) // parts) for k in range(parts)]    # input z
zoom_slabs = [(n_out * k // parts, n_out * (k + 1) // parts) for k in range(parts)]  # output z


def clip_slab(r):
    np.clip(mine_t[r[0]:r[1]], lo16, hi16, out=mine_t[r[0]:r[1]])


def zoom_slab(r, out):
    o0, o1 = r
    if o0 == o1:
        return
    first = (o0 + 0.5) * steps[0] - 0.5     # input z of the slab's first output slice
    last = (o1 - 0.5) * steps[0] - 0.5      # and of its last
    i0 = max(0, int(np.floor(first)))
    i1 = min(n_in, int(np.floor(last)) + 2)  # the rows linear interpolation reads
    offset = [first - i0, 0.5 * steps[1] - 0.5, 0.5 * steps[2] - 0.5]
    sl = out[o0:o1]
    ndimage.affine_transform(mine_t[i0:i1], steps, offset=offset, output_shape=sl.shape,
                             output=sl, order=1, mode="nearest", prefilter=False)
    sl -= lo32
    sl /= scale32


def threaded():
    out = np.empty(out_t_shape, dtype=np.float32)
    if pool is None:
        clip_slab((0, n_in))
        zoom_slab((0, n_out), out)
    else:
        list(pool.map(clip_slab, clip_slabs))
        list(pool.map(lambda r: zoom_slab(r, out), zoom_slabs))
    return out.T


TASKS = {"read": read, "plain": plain, "tuned": tuned, "threaded": threaded}


def main():
    voxelseg = np.fromfile(ours, dtype="<f4").reshape(shape, order="F")
    outs = {k: TASKS[k]() for k in ("plain", "tuned", "threaded")}
    diff = {k: float(np.abs(voxelseg - v).max()) for k, v in outs.items()}
    print(json.dumps({"ready": True, "shape": list(a.shape), "dtype": str(a.dtype),
                      "threads": threads, "max_abs_diff": diff,
                      "threaded_vs_tuned": float(np.abs(outs["threaded"] - outs["tuned"]).max()),
                      "tuned_vs_plain": float(np.abs(outs["tuned"] - outs["plain"]).max())}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        task, n = line.split()
        fn, s, c0 = TASKS[task], [], time.process_time()
        for _ in range(int(n)):
            t0 = time.perf_counter()
            fn()
            s.append(time.perf_counter() - t0)
        print(json.dumps({"s": s, "cpu_s": time.process_time() - c0}), flush=True)


if __name__ == "__main__":
    main()
