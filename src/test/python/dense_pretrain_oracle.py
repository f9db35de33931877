"""Torch oracle for VoxelSeg's dense self-supervised pretraining (seed 004, vox2vec): the symmetric
InfoNCE loss (sc.fiji.voxelseg.loss.DenseContrastiveLoss) and the projection head
(sc.fiji.voxelseg.nn.ProjectionHead). Inputs and weights are drawn in float32 with a fixed seed and
written as they are; the reference computes in float64 from those same values, so the Java side's
only error is its own float32 arithmetic.

The loss is vox2vec's training step, written as its code writes it:
  l11 = e1 e1^T / t, diagonal -inf; l12 = e1 e2^T / t; l22 = e2 e2^T / t, diagonal -inf
  loss1 = mean(-diag(l12) + logsumexp(cat([l11, l12], 1), 1))
  loss2 = mean(-diag(l12) + logsumexp(cat([l12^T, l22], 1), 1))
  loss = (loss1 + loss2) / 2
The head is vox2vec's proj_head: Linear(in, h), BatchNorm1d(h), ReLU, Linear(h, h), BatchNorm1d(h),
ReLU, Linear(h, out), F.normalize; BatchNorm1d in training mode (batch statistics).

usage: dense_pretrain_oracle.py OUT.npz MODE
  loss   e1, e2 (S = 64 unit rows of F = 16, the views correlated), the loss at t = 0.1 and its
         gradients grad_e1, grad_e2; the same at t = 0.5 (loss_t05, grad_e1_t05, grad_e2_t05)
  head   for each configuration NAME (small: 12 -> 10 -> 6 on 24 rows; default: 160 -> 160 -> 128
         on 64 rows): NAME.x, NAME.pNN (parameters in state_dict order, batch norm's affine values
         away from the identity), NAME.r (cotangents), NAME.y, and the gradients of sum(y * r):
         NAME.gx, NAME.gNN. Then one pretraining step on the small head: views NAME.x1, NAME.x2 go
         through the head separately (batch statistics per view, as vox2vec's training step does),
         then the loss at t = 0.1: pair.x1, pair.x2, pair.loss, pair.gx1, pair.gx2, pair.gNN
Prints a JSON summary (the array names and the losses) on stdout.
"""
import json
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

out_path, mode = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
arrays = {}


def put(name, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    arrays[name] = a.astype(np.int64 if a.dtype.kind in "iu" else np.float32)


def f32(*shape, scale=1.0):
    """A float32 draw, returned as float64: both sides start from the same representable values."""
    return (torch.randn(*shape, dtype=torch.float32) * scale).double()


def info_nce(e1, e2, t):
    l11 = torch.matmul(e1, e1.T) / t
    l11.fill_diagonal_(float("-inf"))
    l12 = torch.matmul(e1, e2.T) / t
    l22 = torch.matmul(e2, e2.T) / t
    l22.fill_diagonal_(float("-inf"))
    loss1 = torch.mean(-l12.diag() + torch.logsumexp(torch.cat([l11, l12], dim=1), dim=1))
    loss2 = torch.mean(-l12.diag() + torch.logsumexp(torch.cat([l12.T, l22], dim=1), dim=1))
    return (loss1 + loss2) / 2


class Head(nn.Module):
    def __init__(self, cin, hidden, out):
        super().__init__()
        self.fc1 = nn.Linear(cin, hidden)
        self.bn1 = nn.BatchNorm1d(hidden, track_running_stats=False)
        self.fc2 = nn.Linear(hidden, hidden)
        self.bn2 = nn.BatchNorm1d(hidden, track_running_stats=False)
        self.fc3 = nn.Linear(hidden, out)

    def forward(self, x):
        h = F.relu(self.bn1(self.fc1(x)))
        h = F.relu(self.bn2(self.fc2(h)))
        return F.normalize(self.fc3(h), dim=1)


def head(cin, hidden, out):
    h = Head(cin, hidden, out).train()
    with torch.no_grad():
        for bn in (h.bn1, h.bn2):  # affine values away from the identity, so that they are tested
            bn.weight.copy_(1 + 0.5 * torch.randn(hidden))
            bn.bias.copy_(0.3 * torch.randn(hidden))
        for p in h.parameters():  # float32 values, kept in float64
            p.copy_(p.float().double())
    return h


if mode == "loss":
    S, FEAT = 64, 16
    e1 = F.normalize(torch.randn(S, FEAT, dtype=torch.float32), dim=1)
    e2 = F.normalize(e1 + 0.7 * torch.randn(S, FEAT, dtype=torch.float32), dim=1)
    put("e1", e1)
    put("e2", e2)
    for suffix, t in (("", 0.1), ("_t05", 0.5)):
        a = e1.double().requires_grad_()
        b = e2.double().requires_grad_()
        loss = info_nce(a, b, t)
        loss.backward()
        put("loss" + suffix, loss)
        put("grad_e1" + suffix, a.grad)
        put("grad_e2" + suffix, b.grad)
elif mode == "head":
    for name, (cin, hidden, out, rows) in (("small", (12, 10, 6, 24)), ("default", (160, 160, 128, 64))):
        h = head(cin, hidden, out)
        x = f32(rows, cin, scale=1.5).requires_grad_()
        y = h(x)
        r = f32(*y.shape)
        (y * r).sum().backward()
        put(name + ".x", x)
        put(name + ".r", r)
        put(name + ".y", y)
        put(name + ".gx", x.grad)
        for i, p in enumerate(h.parameters()):
            put("%s.p%02d" % (name, i), p)
            put("%s.g%02d" % (name, i), p.grad)
            if name == "small":
                p.grad = None
        if name == "small":
            x1 = f32(24, cin, scale=1.5).requires_grad_()
            x2 = (x1.detach() + f32(24, cin, scale=0.5)).requires_grad_()
            loss = info_nce(h(x1), h(x2), 0.1)
            loss.backward()
            put("pair.x1", x1)
            put("pair.x2", x2)
            put("pair.loss", loss)
            put("pair.gx1", x1.grad)
            put("pair.gx2", x2.grad)
            for i, p in enumerate(h.parameters()):
                put("pair.g%02d" % i, p.grad)
else:
    sys.exit("unknown mode " + mode)

np.savez(out_path, **arrays)
print(json.dumps({"arrays": sorted(arrays), "losses": {k: float(v) for k, v in arrays.items() if "loss" in k}}))
