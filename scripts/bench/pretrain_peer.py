"""PyTorch side of scripts/bench/pretrain.sh: one self-supervised pretraining step of seed 004 as
VoxelSeg takes it, on the same feature pyramid network (nets_oracle.FPN3d, the reference the tests
check VoxelSeg's FPN3d against): forward on 2P crops (views A, then B), the balanced pyramid's
vectors of P x VOXELS paired voxels (level i read at floor(x / 2^i)), concatenated, the projection
MLP (Linear-BN-ReLU, Linear-BN-ReLU, Linear to 128, normalised) on each view's rows, vox2vec's
symmetric InfoNCE (tau 0.1), the restorative 1x1x1 convolution's MSE against the clean crops
(lambda 10), backward, clip_grad_norm_(1.0), Adam 3e-4.
usage: pretrain_peer.py STEPS THREADS LEVELS WIDTH CX CY CZ PAIRS VOXELS
Prints JSON: median seconds per step, peak resident memory (VmHWM) in bytes."""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src", "test", "python"))
import nets_oracle  # noqa: E402

steps, threads, levels, width = (int(v) for v in sys.argv[1:5])
cx, cy, cz, pairs, voxels = (int(v) for v in sys.argv[5:10])
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)
net = nets_oracle.FPN3d(1, 2, levels, width, 3, "batch")
feat = width * levels
proj = nn.Sequential(nn.Linear(feat, feat), nn.BatchNorm1d(feat), nn.ReLU(), nn.Linear(feat, feat), nn.BatchNorm1d(feat),
                     nn.ReLU(), nn.Linear(feat, 128))
restore = nn.Conv3d(width, 1, 1)
params = list(net.parameters()) + list(proj.parameters()) + list(restore.parameters())
opt = torch.optim.Adam(params, lr=3e-4)


def rows(pyramid, index, first):
    """index: P x VOXELS flat crop indices; rows of views first..first+P-1, all levels concatenated."""
    x, y, z = index % cx, index // cx % cy, index // (cx * cy)
    view = torch.arange(pyramid[0].shape[0] // 2).unsqueeze(1).expand_as(index) + first
    parts = []
    for i, m in enumerate(pyramid):
        parts.append(m[view.reshape(-1), :, (z >> i).reshape(-1), (y >> i).reshape(-1), (x >> i).reshape(-1)])
    return torch.cat(parts, 1)


def info_nce(e1, e2, tau=0.1):
    l11 = e1 @ e1.T / tau
    l12 = e1 @ e2.T / tau
    l22 = e2 @ e2.T / tau
    eye = torch.eye(e1.shape[0], dtype=torch.bool)
    l11 = l11.masked_fill(eye, float("-inf"))
    l22 = l22.masked_fill(eye, float("-inf"))
    d = l12.diagonal()
    loss1 = (-d + torch.logsumexp(torch.cat([l11, l12], 1), 1)).mean()
    loss2 = (-d + torch.logsumexp(torch.cat([l12.T, l22], 1), 1)).mean()
    return (loss1 + loss2) / 2


times = []
net.train()
proj.train()
for s in range(steps + 1):
    x = torch.rand(2 * pairs, 1, cz, cy, cx)
    clean = torch.rand(2 * pairs, 1, cz, cy, cx)
    ia = torch.randint(0, cx * cy * cz, (pairs, voxels))
    ib = torch.randint(0, cx * cy * cz, (pairs, voxels))
    t = time.perf_counter()
    out = net(x)
    pyramid = out[-levels:][::-1]
    ea = F.normalize(proj(rows(pyramid, ia, 0)), dim=1)
    eb = F.normalize(proj(rows(pyramid, ib, pairs)), dim=1)
    loss = info_nce(ea, eb) + 10 * F.mse_loss(restore(pyramid[0]), clean)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    if s > 0:
        times.append(time.perf_counter() - t)
hwm = -1
with open("/proc/self/status") as f:
    for line in f:
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) * 1024
print(json.dumps({"median_s": statistics.median(times), "peak_rss": hwm, "loss": float(loss), "torch": torch.__version__}))
