"""Torch oracle for VoxelSeg's voxel-level representation learning (sc.fiji.voxelseg.nn
VoxelFeatureHeads, sc.fiji.voxelseg.loss VoxelRepresentationLoss and VoxelFeatures): draws voxel
features, labels, head weights and class counts with a fixed seed and writes them, the heads'
outputs, the losses and their gradients (autograd, float64) as named arrays into an .npz file.

The heads are SimSiam's two-layer heads as documented in VoxelFeatureHeads:
proj = Linear(C, w, bias=False), BatchNorm1d(w), ReLU, Linear(w, w, bias=False),
BatchNorm1d(w, affine=False); pred = Linear(w, w, bias=False), BatchNorm1d(w), ReLU, Linear(w, w);
BatchNorm1d in training mode. The losses are written from their definitions, pair by pair:
  siamese = -sum_c w_c mean_{i,j in c} normalize(p_i) . normalize(z_j.detach())
  supcon  = sum_c w_c mean_{anchors i in c with a positive}
            -1/|P(i)| sum_{q in P(i)} log(exp(s_iq/t) / sum_{a != i} exp(s_ia/t)),
            s = normalize(z) normalize(z)^T, t = 0.1
  w_c = (|P|/|P_c|) / sum_c' (|P|/|P_c'|) from the given grid counts.
Also F.interpolate(mode='nearest') of a label volume to a smaller grid.

usage: representation_oracle.py OUT.npz
"""
import json
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
S, C, W, K, TAU = 15, 5, 4, 4, 0.1
labels = torch.tensor([0, 1, 0, 2, 1, 0, 0, 1, 2, 0, 1, 0, 2, 0, 3])  # class 3 has a single voxel
counts = torch.tensor([900.0, 70.0, 25.0, 5.0])
f = (torch.randn(S, C) * torch.tensor([1.0, 2.0, 0.5, 1.5, 3.0]) + torch.randn(C)).double()

proj = nn.Sequential(nn.Linear(C, W, bias=False), nn.BatchNorm1d(W), nn.ReLU(), nn.Linear(W, W, bias=False),
                     nn.BatchNorm1d(W, affine=False)).double().train()
pred = nn.Sequential(nn.Linear(W, W, bias=False), nn.BatchNorm1d(W), nn.ReLU(), nn.Linear(W, W)).double().train()
with torch.no_grad():
    for bn in (proj[1], pred[1]):  # affine values away from the identity, so that they are tested
        bn.weight.copy_(1 + 0.5 * torch.randn(W))
        bn.bias.copy_(0.3 * torch.randn(W))
params = list(proj.parameters()) + list(pred.parameters())

w = (counts.sum() / counts)
w = (w / w.sum()).double()


def siamese(p, z):
    total = 0
    for c in range(K):
        idx = (labels == c).nonzero().flatten()
        if len(idx) == 0:
            continue
        pc = F.normalize(p[idx], dim=1)
        zc = F.normalize(z[idx].detach(), dim=1)
        total = total - w[c] * (pc @ zc.T).mean()
    return total


def supcon(z):
    zn = F.normalize(z, dim=1)
    s = zn @ zn.T / TAU
    total = 0
    for c in range(K):
        anchors = [i for i in range(S) if labels[i] == c and (labels == c).sum() > 1]
        if not anchors:
            continue
        per = []
        for i in anchors:
            others = [a for a in range(S) if a != i]
            log_den = torch.logsumexp(s[i, others], 0)
            pos = [q for q in others if labels[q] == c]
            per.append(-torch.stack([s[i, q] - log_den for q in pos]).mean())
        total = total + w[c] * torch.stack(per).mean()
    return total


arrays = {"f": f, "labels": labels, "counts": counts, "weights": w}
for i, p in enumerate(params):
    arrays["param%d" % i] = p.detach().clone()

x = f.clone().requires_grad_()
z = proj(x)
p = pred(z)
loss = siamese(p, z)
loss.backward()
arrays.update({"z": z.detach(), "p": p.detach(), "siamese": loss.detach(), "grad_f_siamese": x.grad})
for i, q in enumerate(params):
    arrays["grad_siamese_param%d" % i] = q.grad.clone()
    q.grad = None

x = f.clone().requires_grad_()
loss = supcon(proj(x))
loss.backward()
arrays.update({"supcon": loss.detach(), "grad_f_supcon": x.grad})

# nearest-neighbour label resizing, as F.interpolate does it, to a power-of-two and to an odd grid
vol = torch.randint(0, K, (2, 8, 6, 10))
arrays["volume"] = vol
for name, size in [("nearest_half", (4, 3, 5)), ("nearest_odd", (3, 5, 4))]:
    arrays[name] = F.interpolate(vol[:, None].double(), size=size, mode="nearest")[:, 0].long()

out = {}
for name, t in arrays.items():
    a = t.numpy()
    out[name] = a.astype(np.int64 if a.dtype.kind in "iu" else np.float32)
np.savez(sys.argv[1], **out)
print(json.dumps({"siamese": float(arrays["siamese"]), "supcon": float(arrays["supcon"]), "params": len(params)}))
