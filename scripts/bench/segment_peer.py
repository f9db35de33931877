"""The peer side of scripts/bench/segment.sh: the same end-to-end segmentation as VoxelSeg's
Predictor in Debian's python3 (nibabel, numpy, scipy, torch), timed stage by stage.

usage: segment_peer.py CT.nii.gz WEIGHTS_PREFIX OUT.nii.gz THREADS REPEATS torch|scipy
                       [VOXELSEG_LABELS.nii.gz [VOXELSEG_PROBS.raw|- [margins]]]

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
            getParameters() order = state_dict order less num_batches_tracked, eval mode, no_grad,
            softmax over the classes
  labels    the 9 probability maps trilinearly back onto the CT grid, arg-max:
            torch  F.interpolate(mode='trilinear', align_corners=False) of all 9 maps, then the
                   arg-max as a running maximum over the classes (threaded); its source positions
                   are (i + 0.5) * n_in / n_out - 0.5 clamped at the edges, VoxelSeg's geometry
            scipy  scipy.ndimage.zoom(order=1, grid_mode=True, mode='nearest') class by class with a
                   running maximum (single-threaded, never holds more than two full-size maps)
  write     nibabel .nii.gz (uint8; nibabel's gzip level 1, as VoxelSeg's)
Prints one JSON object: per-run stage times, peak RSS, and (given VoxelSeg's outputs) how many
label voxels differ and the largest probability difference on the model grid.
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

ct, prefix, out, threads, reps, upsample = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
theirs = sys.argv[7] if len(sys.argv) > 7 else None
their_probs = sys.argv[8] if len(sys.argv) > 8 and sys.argv[8] != "-" else None
want_margins = len(sys.argv) > 9 and sys.argv[9] == "margins"
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


def cpu():
    """(busy CPU seconds of the machine, CPU seconds of this process): their difference over a run is
    what other processes took from the cores meanwhile."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    t = os.times()
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / hz, t.user + t.system


def pipeline(net, t):
    t.append(time.perf_counter())
    img = nib.load(ct)
    a = np.asanyarray(img.dataobj)  # x y z
    t.append(time.perf_counter())
    w = (np.clip(a, LO, HI).astype(np.float32) - np.float32(LO)) / np.float32(HI - LO)
    w = ndimage.zoom(w, [MODEL[i] / a.shape[i] for i in range(3)], order=1, grid_mode=True, mode="nearest")
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
    return p, lab.T


net = load_net()
runs = []
for r in range(reps):
    t = []
    c0 = cpu()
    p, lab = pipeline(net, t)
    c1 = cpu()
    d = np.diff(t)
    runs.append({"read_s": d[0], "preprocess_s": d[1], "network_s": d[2], "labels_s": d[3], "write_s": d[4], "total_s": t[-1] - t[0],
                 "other_cores": (c1[0] - c0[0] - (c1[1] - c0[1])) / (t[-1] - t[0])})
res = {"runs": runs, "peak_rss": peak_rss(), "torch": torch.__version__, "threads": torch.get_num_threads(), "upsample": upsample,
       "label_counts": np.bincount(lab.ravel(), minlength=CONFIG["classes"]).tolist()}
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
