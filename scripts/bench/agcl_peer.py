"""PyTorch side of scripts/bench/agcl.sh: one contrastive pretraining step of seed 002 (AGCL) as
VoxelSeg takes it, on the same U-Net encoder (nets_oracle's, the reference the tests check
VoxelSeg's U-Net against) with two input channels: the encoder alone on 2B views (views A, then B)
of B patches, the deepest map globally averaged, the projection MLP (Linear-BN-ReLU,
Linear-BN-ReLU, Linear to 256, normalised), Khosla et al.'s SupCon ("out" form, tau 0.1, mean over
anchors) with (organ, condition) labels, backward, Adam 1e-3 with weight decay 1e-5 on the encoder
and the MLP.
usage: agcl_peer.py STEPS THREADS LEVELS WIDTH PX PY PZ PATCHES
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
px, py, pz, patches = (int(v) for v in sys.argv[5:9])
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        nets_oracle.add_encoder(self, 2, levels, width, 3, "batch")

    def forward(self, x):
        return nets_oracle.encode(dict(self.named_children()), x, levels)


enc = Encoder()
deep = width << (levels - 1)
proj = nn.Sequential(nn.Linear(deep, deep), nn.BatchNorm1d(deep), nn.ReLU(), nn.Linear(deep, deep), nn.BatchNorm1d(deep),
                     nn.ReLU(), nn.Linear(deep, 256))
params = list(enc.parameters()) + list(proj.parameters())
opt = torch.optim.Adam(params, lr=1e-3, weight_decay=1e-5)


def supcon(z, labels, tau=0.1):
    s = z @ z.T / tau
    n = z.shape[0]
    eye = torch.eye(n, dtype=torch.bool)
    s = s.masked_fill(eye, float("-inf"))
    log_prob = s - torch.logsumexp(s, 1, keepdim=True)
    pos = (labels.unsqueeze(0) == labels.unsqueeze(1)) & ~eye
    count = pos.sum(1)
    anchors = count > 0
    per = -(log_prob.masked_fill(~pos, 0).sum(1)[anchors] / count[anchors])
    return per.mean()


times = []
enc.train()
proj.train()
for s in range(steps + 1):
    x = torch.rand(2 * patches, 2, pz, py, px)
    organ = torch.randint(1, 9, (patches,))
    phase = torch.randint(0, 4, (patches,))
    labels = (organ * 4 + phase).repeat(2)
    t = time.perf_counter()
    pooled = enc(x)[-1].mean((2, 3, 4))
    z = F.normalize(proj(pooled), dim=1)
    loss = supcon(z, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if s > 0:
        times.append(time.perf_counter() - t)
hwm = -1
with open("/proc/self/status") as f:
    for line in f:
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) * 1024
print(json.dumps({"median_s": statistics.median(times), "peak_rss": hwm, "loss": float(loss), "torch": torch.__version__}))
