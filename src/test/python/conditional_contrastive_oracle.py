"""Torch oracle for VoxelSeg's multi-conditional supervised contrastive loss (seed 002, AGCL;
sc.fiji.voxelseg.loss.ConditionalContrastiveLoss). Rows are drawn in float32 with a fixed seed,
L2-normalised in float32 and written as they are; the reference computes in float64 from those same
values and does not normalise them again, so the gradients are with respect to the rows as given,
and the Java side's only error is its own float32 arithmetic.

The loss is written from the methods' definition, anchor by anchor, with positives defined by the
(organ, condition) pairs themselves, not by any numbering of them:
  loss = mean over anchors k with P(k) non-empty of
         -1/|P(k)| sum_{l in P(k)} ( s_kl/t - logsumexp_{j != k} s_kj/t ),  s = z z^T
  P(k) = rows l != k with the same (organ, condition) as k.
SSCL, the same loss with each row's patch as its label, is also computed as Khosla et al.'s SupCon
code computes its unsupervised (SimCLR) case, features [B, 2, F] with no labels (logits shifted by
the detached row maximum, self-contrast masked by multiplication, base temperature equal to t), and
the script checks that both formulations agree.

usage: conditional_contrastive_oracle.py OUT.npz
  z, organs, conditions   S = 32 unit rows of F = 8; organs 0-3 and conditions 0-1, plus one row
                          whose (organ 0, condition 2) pair no other row has
  loss, grad_z            at t = 0.1; loss_t05, grad_z_t05 at t = 0.5
  e1, e2                  the two views of B = 12 patches (unit rows, e2 a noisy copy of e1)
  sscl, grad_e1, grad_e2  SSCL at t = 0.1 on the rows [e1; e2] (view A above view B)
Prints a JSON summary (the array names, the losses, the number of distinct pairs and of anchors).
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

out_path = sys.argv[1]
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
arrays = {}


def put(name, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    arrays[name] = a.astype(np.int64 if a.dtype.kind in "iu" else np.float32)


def unit_rows(x):
    """Normalised in float32, returned as float64: both sides start from the same representable values."""
    return F.normalize(x.float(), dim=1).double()


def supcon(z, labels, t):
    s = z @ z.T / t
    n = len(labels)
    per = []
    for k in range(n):
        others = [j for j in range(n) if j != k]
        pos = [l for l in others if labels[l] == labels[k]]
        if not pos:
            continue
        log_den = torch.logsumexp(s[k, others], 0)
        per.append(-torch.stack([s[k, l] - log_den for l in pos]).mean())
    return torch.stack(per).mean(), len(per)


def khosla_unsupervised(features, t):
    """SupCon's code path without labels: each row's positive is the other view of its sample."""
    b, views = features.shape[0], features.shape[1]
    contrast = torch.cat(torch.unbind(features, dim=1), dim=0)
    logits = contrast @ contrast.T / t
    logits = logits - logits.max(dim=1, keepdim=True)[0].detach()
    mask = torch.eye(b).repeat(views, views)
    logits_mask = 1 - torch.eye(b * views)
    mask = mask * logits_mask
    log_prob = logits - torch.log((torch.exp(logits) * logits_mask).sum(1, keepdim=True))
    mean_log_prob_pos = (mask * log_prob).sum(1) / mask.sum(1)
    return -mean_log_prob_pos.mean()


S, FEAT = 32, 8
organs = torch.randint(0, 4, (S,))
conditions = torch.randint(0, 2, (S,))
organs[-1], conditions[-1] = 0, 2
pairs = [(int(o), int(c)) for o, c in zip(organs, conditions)]
singletons = [p for p in set(pairs) if pairs.count(p) == 1]
assert (0, 2) in singletons and len(set(pairs)) >= 5, (pairs, singletons)
z0 = unit_rows(torch.randn(S, FEAT))
put("z", z0)
put("organs", organs)
put("conditions", conditions)
anchors = 0
for suffix, t in (("", 0.1), ("_t05", 0.5)):
    z = z0.clone().requires_grad_()
    loss, anchors = supcon(z, pairs, t)
    loss.backward()
    put("loss" + suffix, loss)
    put("grad_z" + suffix, z.grad)

B = 12
e1 = unit_rows(torch.randn(B, FEAT))
e2 = unit_rows(e1 + 0.7 * torch.randn(B, FEAT))
put("e1", e1)
put("e2", e2)
a = e1.clone().requires_grad_()
b = e2.clone().requires_grad_()
sscl, _ = supcon(torch.cat([a, b], 0), [r % B for r in range(2 * B)], 0.1)
sscl.backward()
put("sscl", sscl)
put("grad_e1", a.grad)
put("grad_e2", b.grad)
khosla = khosla_unsupervised(torch.stack([e1, e2], dim=1), 0.1)
assert abs(float(khosla) - float(sscl)) < 1e-12, (float(khosla), float(sscl))

np.savez(out_path, **arrays)
print(json.dumps({"arrays": sorted(arrays), "losses": {k: float(v) for k, v in arrays.items() if "loss" in k or k == "sscl"},
                  "pairs": len(set(pairs)), "singletons": len(singletons), "anchors": anchors}))
