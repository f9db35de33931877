"""The peer side of scripts/bench/segment.sh: the same end-to-end segmentation as VoxelSeg's
Predictor in Debian's python3 (nibabel, numpy, scipy, torch 1.13), timed stage by stage.

usage: segment_peer.py CT.nii.gz WEIGHTS_PREFIX OUT.nii.gz THREADS REPEATS VARIANT
                       [VOXELSEG_LABELS.nii.gz|- [VOXELSEG_PROBS.raw|- [margins] [verify]]]
       segment_peer.py export WEIGHTS_PREFIX THREADS
         traces and freezes the network (with its softmax) and saves it as WEIGHTS_PREFIX.frozen.pt,
         which the tuned variants then load, as a deployment loads its TorchScript (without it
         they trace and freeze in their own process)

VARIANT picks the peer:
  torch        (or plain) today's code, as a user first writes it: float64 clip, eager module under
               no_grad, all 9 probability maps F.interpolate'd onto the CT grid at once (1.9 GB at
               512x512x200), arg-max over them
  scipy        the same with the probabilities back through scipy.ndimage.zoom class by class
  tuned        the strongest a competent user writes in torch 1.13: the window clipped in the
               CT's own integer type (int16 bounds, in place, no float64 temporaries), the clipped
               int16 zoomed straight into float32 and scaled/offset on the 128x128x64 grid after the
               zoom (window-then-linear-interpolation commutes with the affine scale); the network
               traced and torch.jit.freeze'd (conv-BN folded; from "export"),
               torch.jit.optimize_for_inference'd (oneDNN-prepacked convolutions), fed a
               channels_last_3d input, run under torch.inference_mode(), with one untimed pass
               after loading (the JIT's profiling run); no eager module; the probabilities back
               onto the CT grid and their arg-max in slabs (see below), so that the nine full-size
               probability maps never exist at once
  tuned-scipy  tuned, with the slabs of the way back through scipy.ndimage.zoom
The CPU kernels ATen dispatches to follow ATEN_CPU_CAPABILITY (default|avx2|avx512), which the
caller sets (torch 1.13 picks AVX2 on an AVX-512 host when it is unset); the output logs it and the
"CPU capability usage" line of torch.__config__.show().

Slabs: the way back is cut along an axis whose output/input size ratio R is a power of two (at
512x512x200 from 128x128x64: y, R = 4), with a one-row halo on each side: each slab's model-grid
rows are interpolated to R times as many rows and the middle kept, with a running maximum over the
classes (torch: two classes an interpolation, 7 model-grid rows a slab at 512x512x200; scipy: one
class, 17 rows; see SLAB_BYTES and class_pairs). Along such an axis the slab's source positions
are the whole volume's shifted by a whole number of rows exactly (1/R is exact in binary floating
point), so every value is bit for bit what the whole-volume interpolation gives. Along z
(64 -> 200, ratio 3.125) no slab reproduces it: a slab's output grid lines up with the whole
volume's only for slabs starting at multiples of 8 model-grid slices, and there its positions
differ in the last bits (labels then differ at float ties). Without such an axis the way back goes
over the whole volume, two classes (torch) or one (scipy) at a time, also exact. "verify"
(untimed, after the runs) checks the slabs against the whole-volume way back: labels, and for
torch every value (for scipy class 0's).

WEIGHTS_PREFIX.json lists the parameters ({"name", "shape"} in order); it is either that list (the
seed's U-Net: 4 levels, base 64, 9 classes, model grid 128x128x64) or an object
{"config": {"levels", "base", "classes", "grid": [x, y, z]}, "params": [...]} for another U-Net.
With "margins", the output also gives, over the voxels whose labels differ from VoxelSeg's, the
largest difference between the two labels' upsampled probabilities: float ties have margins near 0.

Pipeline (VoxelSeg's plan seeds-ct, whole-volume prediction, arg-max of trilinear probabilities):
  read      nibabel, np.asanyarray(img.dataobj)
  window    clip to [-200, 250] HU, scale to [0, 1] (float32)
  resample  scipy.ndimage.zoom(order=1, grid_mode=True, mode='nearest') to 128x128x64 (x y z):
            voxel centres at (i + 0.5) * n_in / n_out - 0.5, edges replicated, as Resampler.java
  network   the 3D U-Net of nets_oracle.py (VoxelSeg's UNet3d), weights from VoxelSeg in
            getParameters() order = state_dict order less num_batches_tracked, eval mode,
            softmax over the classes
  labels    the 9 probability maps trilinearly back onto the CT grid, arg-max:
            torch  F.interpolate(mode='trilinear', align_corners=False), then the arg-max as a
                   running maximum over the classes (threaded); its source positions are
                   (i + 0.5) * n_in / n_out - 0.5 clamped at the edges, VoxelSeg's geometry
            scipy  scipy.ndimage.zoom(order=1, grid_mode=True, mode='nearest') class by class with a
                   running maximum (single-threaded)
  write     nibabel .nii.gz (uint8; nibabel's gzip level 1, as VoxelSeg's)
Prints one JSON object: per-run stage times, the untimed setup (load_s), peak RSS (VmHWM, read after
the timed runs and before any check; peak_rss_setup before the timed runs), and (given VoxelSeg's
outputs) how many label voxels differ and the largest probability difference on the model grid;
for the tuned variants also the largest difference of the preprocessed grid from today's code's.
"""
import json
import os
import sys
import time

import nibabel as nib
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy import ndimage

if sys.argv[1] == "export":  # export WEIGHTS_PREFIX THREADS: the tuned variant's TorchScript, once, in a process of its own
    ct, prefix, out, threads, reps, variant = None, sys.argv[2], sys.argv[2] + ".frozen.pt", int(sys.argv[3]), 0, "export"
else:
    ct, prefix, out, threads, reps, variant = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
VARIANTS = {"torch": (False, "torch"), "plain": (False, "torch"), "scipy": (False, "scipy"), "tuned": (True, "torch"),
            "tuned-scipy": (True, "scipy"), "export": (True, None)}
if variant not in VARIANTS:
    sys.exit("VARIANT must be one of %s, not %r" % (" ".join(VARIANTS), variant))
tuned, upsample = VARIANTS[variant]
theirs = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] != "-" else None
their_probs = sys.argv[8] if len(sys.argv) > 8 and sys.argv[8] != "-" else None
flags = set(sys.argv[9:])
assert flags <= {"margins", "verify"}, flags
want_margins, want_verify = "margins" in flags, "verify" in flags
LO, HI = -200.0, 250.0
with open(prefix + ".json") as f:
    MANIFEST = json.load(f)
CONFIG = MANIFEST["config"] if isinstance(MANIFEST, dict) else {"levels": 4, "base": 64, "classes": 9, "grid": [128, 128, 64]}
PARAMS = MANIFEST["params"] if isinstance(MANIFEST, dict) else MANIFEST
MODEL = tuple(CONFIG["grid"])  # x y z
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)


class Unit(nn.Module):
    """3x3x3 convolution without bias, batch norm, ReLU (nets_oracle.ConvUnit with norm 'batch')."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, 3, 1, 1, bias=False)
        self.norm = nn.BatchNorm3d(cout, eps=1e-5, momentum=0.1)

    def forward(self, x):
        return F.relu(self.norm(self.conv(x)))


same = Unit


class UNet3d(nn.Module):
    """nets_oracle.UNet3d: registered encoders, then (up, dec) from the deepest, then head, so that
    state_dict() less num_batches_tracked lists the parameters in DJL's getParameters() order."""

    def __init__(self, cin=1, classes=9, levels=4, base=64):
        super().__init__()
        self.levels = levels
        width = lambda i: base << i
        c = cin
        for i in range(levels):
            w = width(i)
            mid = max(w // 2, c)
            self.add_module("enc%d" % i, nn.Sequential(same(c, mid), same(mid, w)))
            c = w
        for i in range(levels - 2, -1, -1):
            w = width(i)
            self.add_module("up%d" % i, nn.ConvTranspose3d(width(i + 1), w, 2, stride=2))
            self.add_module("dec%d" % i, nn.Sequential(same(2 * w, w), same(w, w)))
        self.add_module("head", nn.Conv3d(width(0), classes, 1))

    def forward(self, x):
        m = dict(self.named_children())
        enc = []
        y = x
        for i in range(self.levels):
            if i > 0:
                y = F.max_pool3d(y, 2, 2)
            y = m["enc%d" % i](y)
            enc.append(y)
        for i in range(self.levels - 2, -1, -1):
            y = m["dec%d" % i](torch.cat((enc[i], m["up%d" % i](y)), 1))
        return m["head"](y)


def load_net():
    net = UNet3d(1, CONFIG["classes"], CONFIG["levels"], CONFIG["base"])
    manifest = PARAMS
    flat = np.fromfile(prefix + ".f32", dtype="<f4")
    entries = [(n, t) for n, t in net.state_dict().items() if not n.endswith("num_batches_tracked")]
    assert len(entries) == len(manifest), (len(entries), len(manifest))
    state, pos = {}, 0
    for (name, t), m in zip(entries, manifest):
        assert list(t.shape) == m["shape"], (name, m["name"], list(t.shape), m["shape"])
        # DJL's names: two-digit child positions, '_' for '.', e.g. 01enc0_010_01conv_weight = enc0.0.conv.weight
        n = int(np.prod(m["shape"]))
        state[name] = torch.from_numpy(flat[pos:pos + n].reshape(m["shape"]).copy())
        pos += n
    assert pos == flat.size
    net.load_state_dict(state, strict=False)
    net.eval()
    return net


def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def labels_torch(p, shape_zyx):
    with torch.no_grad():
        up = F.interpolate(p, size=shape_zyx, mode="trilinear", align_corners=False)[0]
        # arg-max as a running maximum over the classes (strictly greater wins, so the first of equal
        # maxima, as argmax): same labels as up.argmax(0), which takes 9.4 s here in torch 1.13
        # against 0.9 s for this loop (torch.max(up, 0).indices: 1.2 s)
        best = up[0].clone()
        lab = torch.zeros(shape_zyx, dtype=torch.uint8)
        for c in range(1, up.shape[0]):
            lab[up[c] > best] = c
            torch.maximum(best, up[c], out=best)
        del up, best
    return lab.numpy()


def labels_scipy(p, shape_zyx):
    prob = p[0].numpy()
    zoom = [shape_zyx[i] / prob.shape[1 + i] for i in range(3)]
    best = ndimage.zoom(prob[0], zoom, order=1, grid_mode=True, mode="nearest")
    lab = np.zeros(shape_zyx, np.uint8)
    for c in range(1, prob.shape[0]):
        v = ndimage.zoom(prob[c], zoom, order=1, grid_mode=True, mode="nearest")
        more = v > best
        lab[more] = c
        np.maximum(best, v, out=best)
        del v, more
    return lab


# The slabs' size: one interpolation's output, halo included, below 30 MiB (torch: two classes, 7 of
# 128 model-grid rows + halo at 512x512x200; scipy: one class, 17 rows), a running maximum kept in
# buffers that serve every slab. glibc serves blocks above its mmap threshold (at most 32 MiB) with
# fresh mappings and trims a heap top above twice that threshold when it is freed: slab maps of
# more than 32 MiB, or buffers allocated and freed slab after slab, are faulted in afresh each slab
# (~0.5 M page faults, seconds at 512x512x200 on this machine: more than the interpolation itself).
SLAB_BYTES = 30 << 20


def slab_axis(grid_zyx, shape_zyx):
    """(axis, R): an axis (0 z, 1 y, 2 x) whose output size is R times its input size, R a power of two
    (1/R exact in binary floating point), preferring y; None when there is none."""
    for ax in (1, 2, 0):
        n_in, n_out = grid_zyx[ax], shape_zyx[ax]
        if n_out % n_in == 0 and (n_out // n_in) & (n_out // n_in - 1) == 0:
            return ax, n_out // n_in
    return None


def slabs(grid_zyx, shape_zyx, channels):
    """(axis, R, [(i0, i1, a0, b0)]): model-grid rows [i0, i1) of the slab, [a0, b0) with a one-row halo
    on each side (clamped at the volume's ends); output rows [R i0, R i1)."""
    ax, r = slab_axis(grid_zyx, shape_zyx)
    n = grid_zyx[ax]
    row = 4 * channels * r * int(np.prod(shape_zyx)) // shape_zyx[ax]  # bytes of output per model-grid row
    k = max(1, SLAB_BYTES // row - 2)
    return ax, r, [(i0, min(n, i0 + k), max(0, i0 - 1), min(n, i0 + k + 1)) for i0 in range(0, n, k)]


def class_pairs(k):
    """The classes two at a time ((c0, c1) ranges; with an odd count the last pair overlaps the one
    before): F.interpolate of one channel takes another path in torch 1.13 (a one-channel tensor is
    channels-last contiguous too) whose values differ in the last bits from the nine-channel
    whole-volume interpolation's (at 512x512x200 on 200 M of 471 M values); two or more channels
    give them bit for bit."""
    return [(0, k)] if k < 2 else [(c, c + 2) if c + 2 <= k else (k - 2, k) for c in range(0, k, 2)]


def up_slab_torch(p, shape_zyx, ax, r, i0, i1, a0, b0):
    """The whole-volume F.interpolate's output rows [r i0, r i1) along ax, from model-grid rows [a0, b0)."""
    size = list(shape_zyx)
    size[ax] = r * (b0 - a0)
    up = F.interpolate(p.narrow(2 + ax, a0, b0 - a0), size=size, mode="trilinear", align_corners=False)[0]
    return up.narrow(1 + ax, r * (i0 - a0), r * (i1 - i0))


def maps_torch(p, shape_zyx, part):
    """(class, its probabilities on the CT grid) in class order, for the slab part = (ax, R, (i0, i1,
    a0, b0)), or the whole volume for part None; two classes interpolated at a time."""
    done = 0
    for c0, c1 in class_pairs(p.shape[1]):
        if part is None:
            up = F.interpolate(p[:, c0:c1], size=shape_zyx, mode="trilinear", align_corners=False)[0]
        else:
            up = up_slab_torch(p[:, c0:c1], shape_zyx, part[0], part[1], *part[2])
        for c in range(max(done, c0), c1):
            yield c, up[c - c0]
        done = c1
        del up


def labels_torch_slabs(p, shape_zyx):
    lab = torch.empty(shape_zyx, dtype=torch.uint8)
    if slab_axis(p.shape[2:], shape_zyx) is None:  # the whole volume, two classes at a time
        ax, parts, best_slab, more_slab = 0, [None], torch.empty(shape_zyx), torch.empty(shape_zyx, dtype=torch.bool)
    else:
        ax, r, parts = slabs(p.shape[2:], shape_zyx, 2)
        size = list(shape_zyx)
        size[ax] = r * max(i1 - i0 for i0, i1, _, _ in parts)
        best_slab, more_slab = torch.empty(size), torch.empty(size, dtype=torch.bool)
    for s in parts:
        lo, n = (0, shape_zyx[ax]) if s is None else (r * s[0], r * (s[1] - s[0]))
        best, more, out = best_slab.narrow(ax, 0, n), more_slab.narrow(ax, 0, n), lab.narrow(ax, lo, n)
        out.zero_()
        for c, v in maps_torch(p, shape_zyx, None if s is None else (ax, r, s)):
            if c == 0:
                best.copy_(v)
            else:  # strictly greater wins: the first of equal maxima, as argmax
                torch.gt(v, best, out=more)
                out.masked_fill_(more, c)
                torch.maximum(best, v, out=best)
            del v
    return lab.numpy()


def labels_scipy_slabs(p, shape_zyx):
    prob = p[0].numpy()
    if slab_axis(prob.shape[1:], shape_zyx) is None:
        return labels_scipy(p, shape_zyx)  # already class by class
    ax, r, parts = slabs(prob.shape[1:], shape_zyx, 1)
    zoom = [shape_zyx[i] / prob.shape[1 + i] for i in range(3)]  # a slab's own zoom equals these along ax too
    along = lambda lo, hi: tuple(slice(lo, hi) if i == ax else slice(None) for i in range(3))
    size = list(shape_zyx)
    size[ax] = r * max(i1 - i0 for i0, i1, _, _ in parts)
    best_slab, more_slab = np.empty(size, np.float32), np.empty(size, bool)
    lab = np.empty(shape_zyx, np.uint8)
    for i0, i1, a0, b0 in parts:
        n = r * (i1 - i0)
        best, more, out = best_slab[along(0, n)], more_slab[along(0, n)], lab[along(r * i0, r * i1)]
        out[...] = 0
        for c in range(prob.shape[0]):
            v = ndimage.zoom(prob[c][along(a0, b0)], zoom, order=1, grid_mode=True, mode="nearest")[along(r * (i0 - a0), r * (i1 - a0))]
            if c == 0:
                best[...] = v
            else:
                np.greater(v, best, out=more)
                out[more] = c
                np.maximum(best, v, out=best)
            del v
    return lab


def cpu():
    """(busy CPU seconds of the machine, CPU seconds of this process): their difference over a run is
    what other processes took from the cores meanwhile."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    t = os.times()
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / hz, t.user + t.system


def preprocess_plain(a):
    w = (np.clip(a, LO, HI).astype(np.float32) - np.float32(LO)) / np.float32(HI - LO)
    return ndimage.zoom(w, [MODEL[i] / a.shape[i] for i in range(3)], order=1, grid_mode=True, mode="nearest")


def preprocess_tuned(a):
    """Clip in the CT's integer type (in place: the array is this run's own), zoom that straight into
    float32 (ndimage interpolates in double from the integers, as from their float32 copies), then
    scale and offset the 128x128x64 result: linear interpolation commutes with the affine map."""
    zoom = [MODEL[i] / a.shape[i] for i in range(3)]
    if a.dtype.kind in "iu" and float(LO).is_integer() and float(HI).is_integer() and \
            np.iinfo(a.dtype).min <= LO and HI <= np.iinfo(a.dtype).max:
        lo, hi = a.dtype.type(LO), a.dtype.type(HI)
        c = np.clip(a, lo, hi, out=a) if a.flags.writeable else np.clip(a, lo, hi)
    else:
        c = np.clip(a, np.float32(LO), np.float32(HI), dtype=np.float32)
    w = ndimage.zoom(c, zoom, output=np.float32, order=1, grid_mode=True, mode="nearest")
    w -= np.float32(LO)
    w /= np.float32(HI - LO)
    return w


class Probabilities(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x), 1)


def frozen_model():
    """The network with its softmax traced (check_trace=False: the check re-runs the network twice)
    and frozen (batch norm folded into the convolutions)."""
    with torch.no_grad():
        traced = torch.jit.trace(Probabilities(load_net()).eval(), torch.zeros((1, 1) + MODEL[::-1]), check_trace=False)
    return torch.jit.freeze(traced)


def tuned_model():
    """The frozen network (WEIGHTS_PREFIX.frozen.pt from "export" when it is there, as a deployment
    loads its TorchScript; else traced here), optimised for inference (oneDNN-prepacked
    convolutions: not serialisable in torch 1.13, so done after loading), after one pass on the
    model grid (the JIT's profiling run). No eager module is kept."""
    path = prefix + ".frozen.pt"
    frozen = torch.jit.load(path) if os.path.exists(path) else frozen_model()
    model = torch.jit.optimize_for_inference(frozen)
    del frozen
    with torch.inference_mode():
        model(torch.zeros((1, 1) + MODEL[::-1]).contiguous(memory_format=torch.channels_last_3d))
    return model, ("loaded " + os.path.basename(path)) if os.path.exists(path) else "traced and frozen in-process"


def pipeline(net, t):
    t.append(time.perf_counter())
    img = nib.load(ct)
    a = np.asanyarray(img.dataobj)  # x y z
    t.append(time.perf_counter())
    w = preprocess_plain(a)
    t.append(time.perf_counter())
    with torch.no_grad():
        x = torch.from_numpy(np.ascontiguousarray(w.T))[None, None]  # 1 1 z y x
        p = torch.softmax(net(x), 1)
    t.append(time.perf_counter())
    shape_zyx = a.shape[::-1]
    lab = (labels_torch if upsample == "torch" else labels_scipy)(p, shape_zyx)
    t.append(time.perf_counter())
    nib.save(nib.Nifti1Image(lab.T, img.affine), out)  # lab.T: x y z, a view (Fortran order)
    t.append(time.perf_counter())
    return p, lab.T, w


def pipeline_tuned(model, t):
    with torch.inference_mode():
        t.append(time.perf_counter())
        img = nib.load(ct)
        a = np.asanyarray(img.dataobj)  # x y z
        t.append(time.perf_counter())
        w = preprocess_tuned(a)
        t.append(time.perf_counter())
        x = torch.from_numpy(w.T)[None, None].contiguous(memory_format=torch.channels_last_3d)  # 1 1 z y x
        p = model(x).contiguous()
        t.append(time.perf_counter())
        shape_zyx = a.shape[::-1]
        lab = (labels_torch_slabs if upsample == "torch" else labels_scipy_slabs)(p, shape_zyx)
        t.append(time.perf_counter())
        nib.save(nib.Nifti1Image(lab.T, img.affine), out)
        t.append(time.perf_counter())
    return p, lab.T, w


def cpu_capability():
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return "?"


tl = time.perf_counter()
if variant == "export":
    torch.jit.save(frozen_model(), out)
    print(json.dumps({"export": out, "export_s": time.perf_counter() - tl, "peak_rss": peak_rss()}))
    sys.exit(0)
net, source = tuned_model() if tuned else (load_net(), "eager module")
load_s = time.perf_counter() - tl
rss_setup = peak_rss()
runs = []
for r in range(reps):
    t = []
    c0 = cpu()
    p, lab, w = (pipeline_tuned if tuned else pipeline)(net, t)
    c1 = cpu()
    d = np.diff(t)
    runs.append({"read_s": d[0], "preprocess_s": d[1], "network_s": d[2], "labels_s": d[3], "write_s": d[4], "total_s": t[-1] - t[0],
                 "other_cores": (c1[0] - c0[0] - (c1[1] - c0[1])) / (t[-1] - t[0])})
res = {"runs": runs, "peak_rss": peak_rss(), "peak_rss_setup": rss_setup, "load_s": load_s, "model": source, "variant": variant, "torch": torch.__version__,
       "threads": torch.get_num_threads(), "upsample": upsample, "aten_cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY", "(unset)"),
       "cpu_capability": cpu_capability(), "label_counts": np.bincount(lab.ravel(), minlength=CONFIG["classes"]).tolist()}
p = p.clone() if p.is_inference() else p  # a normal tensor for the checks below
shape_zyx = lab.shape[::-1]
if tuned:
    if slab_axis(p.shape[2:], shape_zyx):
        ax, r, parts = slabs(p.shape[2:], shape_zyx, 2 if upsample == "torch" else 1)
        res["slabs"] = "along %s (R = %d), %d of %d model-grid rows + halo, %s" % (
            "zyx"[ax], r, parts[0][1], p.shape[2 + ax], "two classes at a time" if upsample == "torch" else "class by class")
    else:
        res["slabs"] = "none: the whole volume, %s" % ("two classes at a time" if upsample == "torch" else "class by class")
    # the preprocessed grid against today's code's (which matches VoxelSeg's; see preprocess.sh)
    res["max_abs_preprocess_diff_vs_plain"] = float(np.abs(preprocess_plain(np.asanyarray(nib.load(ct).dataobj)) - w).max())
if tuned and want_verify:
    with torch.no_grad():
        whole = (labels_torch if upsample == "torch" else labels_scipy)(p, shape_zyx)
        res["slab_labels_differ_from_whole"] = int((whole != lab.T).sum())
        del whole
        if upsample == "torch":  # every map the arg-max saw against the whole-volume nine-class interpolation
            up = F.interpolate(p, size=shape_zyx, mode="trilinear", align_corners=False)[0]
            if slab_axis(p.shape[2:], shape_zyx):
                ax, r, parts = slabs(p.shape[2:], shape_zyx, 2)
                res["slab_values_differ_from_whole"] = sum(int((v != up[c].narrow(ax, r * s[0], r * (s[1] - s[0]))).sum())
                                                           for s in parts for c, v in maps_torch(p, shape_zyx, (ax, r, s)))
            else:
                res["slab_values_differ_from_whole"] = sum(int((v != up[c]).sum()) for c, v in maps_torch(p, shape_zyx, None))
            del up
        elif upsample == "scipy" and slab_axis(p.shape[2:], shape_zyx):  # class 0's values
            prob0 = p[0, 0].numpy()
            zoom = [shape_zyx[i] / prob0.shape[i] for i in range(3)]
            whole0 = ndimage.zoom(prob0, zoom, order=1, grid_mode=True, mode="nearest")
            ax, r, parts = slabs(p.shape[2:], shape_zyx, 1)
            n = 0
            for i0, i1, a0, b0 in parts:
                v = ndimage.zoom(prob0[tuple(slice(a0, b0) if i == ax else slice(None) for i in range(3))], zoom, order=1, grid_mode=True,
                                 mode="nearest")
                n += int((v[tuple(slice(r * (i0 - a0), r * (i1 - a0)) if i == ax else slice(None) for i in range(3))] !=
                          whole0[tuple(slice(r * i0, r * i1) if i == ax else slice(None) for i in range(3))]).sum())
            res["slab_values_differ_from_whole_class0"] = n
if theirs:
    mine = np.asanyarray(nib.load(theirs).dataobj)
    assert mine.shape == lab.shape, (mine.shape, lab.shape)
    differ = mine != lab
    res["voxels"] = int(lab.size)
    res["differ"] = int(differ.sum())
    if res["differ"]:
        idx = np.argwhere(differ)[:5]
        res["differ_examples"] = [[list(map(int, i)), int(mine[tuple(i)]), int(lab[tuple(i)])] for i in idx]
    if want_margins:
        with torch.no_grad():
            up = F.interpolate(p, size=lab.shape[::-1], mode="trilinear", align_corners=False)[0].numpy()  # c z y x
        where = np.argwhere(differ)  # x y z
        m = [abs(float(up[mine[tuple(i)], i[2], i[1], i[0]] - up[lab[tuple(i)], i[2], i[1], i[0]])) for i in where]
        res["max_margin_at_differences"] = max(m) if m else 0.0
if their_probs:
    q = np.fromfile(their_probs, dtype="<f4").reshape(p.shape)
    res["max_abs_prob_diff"] = float(np.abs(q - p.numpy()).max())
    # how close the winning classes are where the labels differ: the margin of the model-grid top two
    top2 = np.sort(p[0].numpy(), axis=0)[-2:]
    res["model_grid_voxels_margin_below_1e-5"] = int((top2[1] - top2[0] < 1e-5).sum())
print(json.dumps(res))
