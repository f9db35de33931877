"""PyTorch side of scripts/bench/train.sh: the seed's 3D U-Net as VoxelSeg builds it (see
UNet3d.java), one training step (forward, soft Dice, backward, Adam) or one inference pass, timed.
usage: train_peer.py train|infer BATCH STEPS THREADS [X Y Z] [plain|tuned]
The optional last word picks the peer (default plain):
  plain  eager PyTorch as a user writes it: NCDHW tensors, opt.zero_grad(), Adam's default loop,
         inference under torch.no_grad() on the eager module.
  tuned  the strongest CPU setup PyTorch 1.13 offers for this network: model and input in
         torch.channels_last_3d; in training opt.zero_grad(set_to_none=True) and
         Adam(foreach=True); in inference net.eval(), torch.jit.trace, torch.jit.freeze and
         torch.jit.optimize_for_inference (conv-BN folded, MKLDNN-prepacked convolutions),
         run under torch.inference_mode(), after one more untimed pass (the JIT's profiling
         run). The eager module is dropped before the timed steps (rebuilt from the same seed
         afterwards for the check), so it costs no resident memory.
The CPU kernels ATen dispatches to follow ATEN_CPU_CAPABILITY (default|avx2|avx512), which the
caller sets; torch 1.13 picks AVX2 on an AVX-512 host when it is unset.
Prints JSON: median and mean seconds per step, peak resident memory (VmHWM, read after the timed
steps and before any check) in bytes, the peak before the timed steps (peak_rss_setup), the variant, ATEN_CPU_CAPABILITY as set, the "CPU capability
usage" of torch.__config__.show(), the allocator mapped (jemalloc or glibc) and MALLOC_CONF as
set; for tuned inference also the largest absolute difference of the output from the eager
module's (max_abs_diff) next to the largest absolute output (max_abs_out), the batch norms left in
the optimised graph and its oneDNN convolutions."""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

args = sys.argv[1:]
variant = args.pop() if args and args[-1] in ("plain", "tuned") else "plain"
mode, batch, steps, threads = args[0], int(args[1]), int(args[2]), int(args[3])
nx, ny, nz = (int(v) for v in args[4:7]) if len(args) > 6 else (128, 128, 64)
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


def allocator():
    with open("/proc/self/maps") as f:
        return "jemalloc" if "libjemalloc" in f.read() else "glibc"


def cpu_capability():
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return "?"


net = UNet3d()
params = sum(p.numel() for p in net.parameters())
x = torch.rand(batch, 1, nz, ny, nx)
y = torch.randint(0, 9, (batch, nz, ny, nx))
times = []
extra = {}


def setup_done():
    extra["peak_rss_setup"] = peak_rss()


if mode == "train" and variant == "plain":
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-5)
    setup_done()
    for s in range(steps + 1):
        t = time.perf_counter()
        opt.zero_grad()
        loss = soft_dice(net(x), y, 9)
        loss.backward()
        opt.step()
        loss.item()
        if s > 0:
            times.append(time.perf_counter() - t)
elif mode == "train":
    net = net.to(memory_format=torch.channels_last_3d)
    x = x.to(memory_format=torch.channels_last_3d)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-5, foreach=True)
    setup_done()
    for s in range(steps + 1):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = soft_dice(net(x), y, 9)
        loss.backward()
        opt.step()
        loss.item()
        if s > 0:
            times.append(time.perf_counter() - t)
elif variant == "plain":
    net.eval()
    setup_done()
    with torch.no_grad():
        for s in range(steps + 1):
            t = time.perf_counter()
            out = net(x)
            out.sum().item()
            del out
            if s > 0:
                times.append(time.perf_counter() - t)
else:
    x = x.to(memory_format=torch.channels_last_3d)
    net = net.to(memory_format=torch.channels_last_3d).eval()
    with torch.no_grad():
        # trace, not script (forward indexes its ModuleLists with a loop variable), on a small
        # input: the traced graph holds no sizes, and an eager pass at full size would set the
        # peak resident memory before the timed steps
        small = torch.rand(batch, 1, 8, 8, 8).to(memory_format=torch.channels_last_3d)
        fast = torch.jit.trace(net, small)
        del net, small  # each stage lets go of the last one's weights
        fast = torch.jit.freeze(fast)
        fast = torch.jit.optimize_for_inference(fast)
    graph = str(fast.graph)
    extra["batch_norm_left"] = graph.count("aten::batch_norm")
    extra["mkldnn_convolutions"] = graph.count("prim::mkldnn_convolution")
    setup_done()
    with torch.inference_mode():
        fast(x).sum().item()  # the JIT's profiling run; the loop's first pass, untimed, is its optimised one
        for s in range(steps + 1):
            t = time.perf_counter()
            out = fast(x)
            out.sum().item()
            if s > 0:
                times.append(time.perf_counter() - t)
            if s < steps:
                del out
rss = peak_rss()
if mode == "infer" and variant == "tuned":
    torch.manual_seed(0)
    ref = UNet3d().eval()  # the same weights: same seed, same construction order
    with torch.inference_mode():
        want = ref(x.contiguous())
    extra["max_abs_diff"] = (out.contiguous() - want).abs().max().item()
    extra["max_abs_out"] = want.abs().max().item()
print(json.dumps(dict({"median_s": statistics.median(times), "mean_s": statistics.mean(times), "peak_rss": rss,
                       "params": params, "torch": torch.__version__, "threads": torch.get_num_threads(),
                       "variant": variant, "aten_cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY", "(unset)"),
                       "cpu_capability": cpu_capability(), "allocator": allocator(),
                       "malloc_conf": os.environ.get("MALLOC_CONF", "(unset)")}, **extra)))
