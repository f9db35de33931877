"""Gradient oracle: PyTorch's autograd, in float64, for VoxelSeg's blocks and for one whole training
step of its networks. Inputs and weights are drawn in float32 with a fixed seed and written as
they are; the reference computes in float64 from those same values, so the Java side's only error
is its own float32 arithmetic.

usage: grads_oracle.py OUT.npz SPEC...
  block=KIND     one block of the kinds below, loss = sum(y * r) over its outputs y with random
                 cotangents r; writes KIND.x (inputs in order), KIND.pNNN (parameters in the
                 Java block's order), KIND.r*, KIND.y*, KIND.gx* (input gradients), KIND.gNNN
                 (parameter gradients)
    conv3        Conv3d(3, 4, 3, padding 1, bias)          conv_s2  Conv3d(4, 6, 2, stride 2, no bias)
    conv3_c1     Conv3d(1, 2, 3, padding 1, no bias) on one input channel
    conv5        Conv3d(2, 3, 5, padding 2, bias)          convt    ConvTranspose3d(4, 3, 2, stride 2)
    bn           BatchNorm3d(3), training mode             in       InstanceNorm3d(3, affine)
    prelu        PReLU(3)                                  pool     max_pool3d(2, 2)
    upsample     F.interpolate trilinear, align_corners=False, to 7 x 9 x 5
    heads        VoxelFeatureHeads(6, 8, predictor): z = proj(f), p = pred(z) (SimSiam heads)
    disc         FeatureDiscriminator([8, 4], width 4, hidden 6, 3 classes): fused map interpolated
                 to a finer grid at sampled voxels, then the class branches
  net=NAME:CONFIG:N,D,H,W:LR:WD
                 one training step of nets_oracle.py's network CONFIG (random weights, running
                 statistics and PReLU slopes): forward in training mode, soft Dice + cross-entropy
                 as VoxelSeg defines them (SegmentationLoss), backward, one torch.optim.Adam step
                 (lr LR, weight decay WD). Writes NAME.x, NAME.labels, NAME.pNNN (state_dict
                 order, without num_batches_tracked), NAME.loss, NAME.gNNN (gradients of the
                 trainable entries, zeros for buffers) and NAME.afterNNN (the state after the step).
Prints JSON: {"names": {NAME: [state_dict names]}, "trainable": {NAME: [bool]}}.
"""
import json
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import nets_oracle

torch.set_default_dtype(torch.float64)
arrays, names, trainable = {}, {}, {}


def put(name, t):
    arrays[name] = (t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)).astype(np.float32)


def f32(*shape, scale=1.0, offset=0.0):
    """A float32 draw, returned as float64: both sides start from the same representable values."""
    return (torch.randn(*shape, dtype=torch.float32) * scale + offset).double()


def rounded(module):
    """Rounds every parameter and buffer to float32 values (kept in float64)."""
    with torch.no_grad():
        for t in list(module.parameters()) + list(module.buffers()):
            if t.is_floating_point():
                t.copy_(t.float().double())
    return module


class Heads(nn.Module):
    """VoxelFeatureHeads: proj = Linear(C, w, no bias), BN1d(w), ReLU, Linear(w, w, no bias),
    BN1d(w, affine=False); pred = Linear(w, w, no bias), BN1d(w), ReLU, Linear(w, w). Batch
    statistics of the rows (training mode)."""

    def __init__(self, cin, w):
        super().__init__()
        self.proj_fc1 = nn.Linear(cin, w, bias=False)
        self.proj_bn1 = nn.BatchNorm1d(w, track_running_stats=False)
        self.proj_fc2 = nn.Linear(w, w, bias=False)
        self.proj_bn2 = nn.BatchNorm1d(w, affine=False, track_running_stats=False)
        self.pred_fc1 = nn.Linear(w, w, bias=False)
        self.pred_bn1 = nn.BatchNorm1d(w, track_running_stats=False)
        self.pred_fc2 = nn.Linear(w, w)

    def forward(self, f):
        z = self.proj_bn2(self.proj_fc2(F.relu(self.proj_bn1(self.proj_fc1(f)))))
        p = self.pred_fc2(F.relu(self.pred_bn1(self.pred_fc1(z))))
        return z, p


class Discriminator(nn.Module):
    """FeatureDiscriminator: per map a 1x1x1 conv to `width`, trilinear upsampling to the finest
    map, sum, 3x3x3 conv, LeakyReLU(0.2) (the fused map); voxel rows through Linear + LeakyReLU
    twice and the branch Linear(hidden, 1) of their class."""

    def __init__(self, channels, width, hidden, classes):
        super().__init__()
        for j, c in enumerate(channels):
            self.add_module("in%d" % (j + 1), nn.Conv3d(c, width, 1))
        self.fuse = nn.Conv3d(width, width, 3, padding=1)
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        for c in range(classes):
            self.add_module("branch%d" % c, nn.Linear(hidden, 1))
        self.maps, self.classes = len(channels), classes

    def fused(self, maps):
        finest = maps[-1].shape[2:]
        s = sum(F.interpolate(getattr(self, "in%d" % (j + 1))(m), size=finest, mode="trilinear", align_corners=False)
                for j, m in enumerate(maps))
        return F.leaky_relu(self.fuse(s), 0.2)

    def classify(self, rows, labels):
        h = F.leaky_relu(self.fc2(F.leaky_relu(self.fc1(rows), 0.2)), 0.2)
        logits = torch.cat([getattr(self, "branch%d" % c)(h) for c in range(self.classes)], 1)
        return logits.gather(1, labels.view(-1, 1)).squeeze(1)


def block_case(kind):
    """(module or None, inputs, function of the inputs giving the outputs, extra arrays)."""
    torch.manual_seed(1)
    extra = {}
    if kind == "conv3":
        m, xs = nn.Conv3d(3, 4, 3, padding=1), [f32(2, 3, 5, 6, 7)]
    elif kind == "conv3_c1":
        m, xs = nn.Conv3d(1, 2, 3, padding=1, bias=False), [f32(2, 1, 8, 12, 16)]
    elif kind == "conv_s2":
        m, xs = nn.Conv3d(4, 6, 2, stride=2, bias=False), [f32(2, 4, 6, 4, 8)]
    elif kind == "conv5":
        m, xs = nn.Conv3d(2, 3, 5, padding=2), [f32(1, 2, 6, 5, 7)]
    elif kind == "convt":
        m, xs = nn.ConvTranspose3d(4, 3, 2, stride=2), [f32(2, 4, 3, 4, 5)]
    elif kind == "bn":
        m, xs = nn.BatchNorm3d(3), [f32(2, 3, 4, 5, 6, scale=1.5, offset=0.7)]
        with torch.no_grad():
            m.weight.copy_(0.5 + torch.rand(3))
            m.bias.copy_(torch.randn(3))
    elif kind == "in":
        m, xs = nn.InstanceNorm3d(3, affine=True), [f32(2, 3, 4, 5, 6, scale=2.0, offset=-0.3)]
        with torch.no_grad():
            m.weight.copy_(0.5 + torch.rand(3))
            m.bias.copy_(torch.randn(3))
    elif kind == "prelu":
        m, xs = nn.PReLU(3), [f32(2, 3, 4, 5, 6)]
        with torch.no_grad():
            m.weight.copy_(torch.tensor([0.1, -0.3, 0.8]))
    elif kind == "pool":
        return None, [f32(2, 3, 4, 6, 8)], lambda x: [F.max_pool3d(x, 2, 2)], extra
    elif kind == "upsample":
        return None, [f32(2, 3, 3, 4, 5)], lambda x: [F.interpolate(x, size=(7, 9, 5), mode="trilinear",
                                                                     align_corners=False)], extra
    elif kind == "heads":
        m, xs = Heads(6, 8), [f32(40, 6)]
        with torch.no_grad():
            for bn in (m.proj_bn1, m.pred_bn1):
                bn.weight.copy_(0.5 + torch.rand(8))
                bn.bias.copy_(0.2 * torch.randn(8))
        rounded(m)
        return m, xs, lambda f: list(m(f)), extra
    elif kind == "disc":
        m = rounded(Discriminator([8, 4], 4, 6, 3))
        xs = [f32(2, 8, 2, 3, 2), f32(2, 4, 4, 6, 4)]
        to = (8, 12, 8)
        g = torch.Generator().manual_seed(3)
        tv = to[0] * to[1] * to[2]
        index = torch.randint(0, 2 * tv, (50,), generator=g)
        index[0], index[1] = 0, 2 * tv - 1
        index[3] = index[2]
        labels = torch.randint(0, 3, (50,), generator=g)
        extra["index"], extra["to"], extra["labels"] = index.numpy(), np.array(to), labels.numpy()

        def run(a, b):
            f = m.fused([a, b])
            up = F.interpolate(f, size=to, mode="trilinear", align_corners=False)
            rows = up.permute(0, 2, 3, 4, 1).reshape(-1, f.shape[1])[index]
            return [m.classify(rows, labels)]
        return m, xs, run, extra
    else:
        raise SystemExit("unknown block " + kind)
    rounded(m)
    return m, xs, lambda *a: [m(*a)], extra


def block(kind):
    m, xs, fn, extra = block_case(kind)
    for k, v in extra.items():
        arrays[kind + "." + k] = np.asarray(v)
    params = [] if m is None else [p for _, p in m.named_parameters()]
    names[kind] = [] if m is None else [n for n, _ in m.named_parameters()]
    for i, p in enumerate(params):
        put("%s.p%03d" % (kind, i), p)
    for i, x in enumerate(xs):
        x.requires_grad_(True)
        put("%s.x%d" % (kind, i), x)
    if m is not None:
        m.train()
    ys = fn(*xs)
    loss = 0
    for i, y in enumerate(ys):
        r = f32(*y.shape)
        put("%s.r%d" % (kind, i), r)
        put("%s.y%d" % (kind, i), y)
        loss = loss + (y * r).sum()
    loss.backward()
    for i, x in enumerate(xs):
        put("%s.gx%d" % (kind, i), x.grad)
    for i, p in enumerate(params):
        put("%s.g%03d" % (kind, i), p.grad)


def seg_loss(logits, labels):
    """SegmentationLoss.DICE_CE: 1 - mean_c (2 sum p g + 1e-5) / (sum p^2 + sum g^2 + 1e-5), sums over
    the whole batch, all classes; plus the mean cross-entropy."""
    k = logits.shape[1]
    p = logits.softmax(1)
    g = F.one_hot(labels, k).permute(0, 4, 1, 2, 3).to(p.dtype)
    dims = (0, 2, 3, 4)
    dice = (2 * (p * g).sum(dims) + 1e-5) / ((p * p).sum(dims) + g.sum(dims) + 1e-5)
    return 1 - dice.mean() + F.cross_entropy(logits, labels)


def net_step(arg):
    name, config, shape, lr, wd = arg.split(":")
    torch.manual_seed(0)
    net = nets_oracle.build(config)
    nets_oracle.randomise(net)
    rounded(net)
    dims = [int(v) for v in shape.split(",")]
    k = int(config.split(",")[2])
    x = f32(dims[0], int(config.split(",")[1]), *dims[1:])
    labels = torch.randint(0, k, (dims[0], *dims[1:]))
    put(name + ".x", x)
    arrays[name + ".labels"] = labels.numpy().astype(np.int64)
    state = nets_oracle.state(net)
    names[name] = [n for n, _ in state]
    params = dict(net.named_parameters())
    trainable[name] = [n in params for n, _ in state]
    for i, (_, t) in enumerate(state):
        put("%s.p%03d" % (name, i), t)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=float(lr), weight_decay=float(wd))
    opt.zero_grad()
    loss = seg_loss(net(x)[0], labels)
    loss.backward()
    put(name + ".loss", loss)
    for i, (n, t) in enumerate(state):
        put("%s.g%03d" % (name, i), params[n].grad if n in params else torch.zeros_like(t))
    opt.step()
    for i, (_, t) in enumerate(nets_oracle.state(net)):
        put("%s.after%03d" % (name, i), t)


out_path = sys.argv[1]
for spec in sys.argv[2:]:
    kind, arg = spec.split("=", 1)
    if kind == "block":
        block(arg)
    elif kind == "net":
        net_step(arg)
    else:
        raise SystemExit("unknown spec " + spec)
np.savez(out_path, **arrays)
print(json.dumps({"names": names, "trainable": trainable}))
