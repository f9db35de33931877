"""PyTorch side of scripts/bench/train.sh: the seed's 3D U-Net as VoxelSeg builds it (see
UNet3d.java), one training step (forward, soft Dice, backward, Adam) or one inference pass, timed.
usage: train_peer.py train|infer BATCH STEPS THREADS [X Y Z]
Prints JSON: median and mean seconds per step, peak resident memory (VmHWM) in bytes."""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

mode, batch, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
nx, ny, nz = (int(v) for v in sys.argv[5:8]) if len(sys.argv) > 7 else (128, 128, 64)
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)


def unit(i, o):
    return nn.Sequential(nn.Conv3d(i, o, 3, padding=1, bias=False), nn.BatchNorm3d(o), nn.ReLU())


class UNet3d(nn.Module):
    def __init__(self, cin=1, k=9, levels=4, base=64):
        super().__init__()
        self.levels = levels
        w = [base << i for i in range(levels)]
        self.enc = nn.ModuleList()
        c = cin
        for i in range(levels):
            mid = max(w[i] // 2, c)
            self.enc.append(nn.Sequential(unit(c, mid), unit(mid, w[i])))
            c = w[i]
        self.up = nn.ModuleList([nn.ConvTranspose3d(w[i + 1], w[i], 2, stride=2) for i in range(levels - 1)])
        self.dec = nn.ModuleList([nn.Sequential(unit(2 * w[i], w[i]), unit(w[i], w[i])) for i in range(levels - 1)])
        self.head = nn.Conv3d(w[0], k, 1)

    def forward(self, x):
        skips = []
        for i in range(self.levels):
            if i > 0:
                x = F.max_pool3d(x, 2)
            x = self.enc[i](x)
            skips.append(x)
        for i in range(self.levels - 2, -1, -1):
            x = self.dec[i](torch.cat((skips[i], self.up[i](x)), 1))
        return self.head(x)


def soft_dice(logits, labels, k):
    p = torch.softmax(logits, 1)
    g = F.one_hot(labels, k).permute(0, 4, 1, 2, 3).float()
    dims = (0, 2, 3, 4)
    inter = (p * g).sum(dims)
    den = (p * p).sum(dims) + g.sum(dims)
    return 1 - ((2 * inter + 1e-5) / (den + 1e-5)).mean()


def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


net = UNet3d()
x = torch.rand(batch, 1, nz, ny, nx)
y = torch.randint(0, 9, (batch, nz, ny, nx))
times = []
if mode == "train":
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-5)
    for s in range(steps + 1):
        t = time.perf_counter()
        opt.zero_grad()
        loss = soft_dice(net(x), y, 9)
        loss.backward()
        opt.step()
        loss.item()
        if s > 0:
            times.append(time.perf_counter() - t)
else:
    net.eval()
    with torch.no_grad():
        for s in range(steps + 1):
            t = time.perf_counter()
            out = net(x)
            out.sum().item()
            del out
            if s > 0:
                times.append(time.perf_counter() - t)
print(json.dumps({"median_s": statistics.median(times), "mean_s": statistics.mean(times), "peak_rss": peak_rss(),
                  "params": sum(p.numel() for p in net.parameters()), "torch": torch.__version__,
                  "threads": torch.get_num_threads()}))
