"""Torch oracle for VoxelSeg's segmentation losses (sc.fiji.voxelseg.loss.SegmentationLoss): draws
logits, labels and a weight map with a fixed seed and writes them, the losses and their gradients
with respect to the logits (autograd) as named arrays into an .npz file.

The soft Dice loss is the documented formula, 1 - (1/K) sum_c (2 sum_i p_ci g_ci + eps) /
(sum_i p_ci^2 + sum_i g_ci + eps), p = softmax over classes, g one-hot, sums over the batch and all
voxels, eps = 1e-5; cross-entropy is F.cross_entropy, weighted as sum(w ce) / sum(w).

usage: loss_oracle.py OUT.npz
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

EPS = 1e-5
torch.manual_seed(0)
n, k, shape = 2, 3, (4, 5, 6)
# drawn in float32, which the Java side gets, and computed in float64
logits = (2 * torch.randn(n, k, *shape)).double()
labels = torch.randint(0, k, (n, *shape))
weight = torch.rand(n, *shape)
weight[torch.rand(n, *shape) < 0.3] = 0
weight = weight.double()


def soft_dice(z, lab):
    p = torch.softmax(z, 1)
    g = F.one_hot(lab, z.shape[1]).permute(0, 4, 1, 2, 3).to(z.dtype)
    axes = (0, 2, 3, 4)
    dice = (2 * (p * g).sum(axes) + EPS) / ((p * p).sum(axes) + g.sum(axes) + EPS)
    return 1 - dice.mean()


def ce(z, lab):
    return F.cross_entropy(z, lab)


def ce_weighted(z, lab):
    return (F.cross_entropy(z, lab, reduction="none") * weight).sum() / weight.sum().clamp_min(1e-12)


arrays = {"logits": logits, "labels": labels, "weight": weight}
for name, f in [("dice", soft_dice), ("ce", ce), ("ce_weighted", ce_weighted),
                ("dice_ce", lambda z, lab: soft_dice(z, lab) + ce(z, lab))]:
    z = logits.clone().requires_grad_()
    value = f(z, labels)
    value.backward()
    arrays[name] = value.detach()
    arrays["grad_" + name] = z.grad
# the one-hot form of the documented cross-entropy agrees with F.cross_entropy
g = F.one_hot(labels, k).permute(0, 4, 1, 2, 3).to(logits.dtype)
assert torch.allclose(-(torch.log_softmax(logits, 1) * g).sum(1).mean(), arrays["ce"])

out = {}
for name, t in arrays.items():
    a = t.numpy()
    out[name] = a.astype(np.int64 if a.dtype.kind in "iu" else np.float32)
np.savez(sys.argv[1], **out)
print(json.dumps({name: float(arrays[name]) for name in ["dice", "ce", "ce_weighted", "dice_ce"]}))
