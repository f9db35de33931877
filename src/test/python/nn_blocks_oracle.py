"""Torch oracle for VoxelSeg's network blocks (sc.fiji.voxelseg.nn): draws inputs and weights with
a fixed seed, computes PyTorch's results (and gradients where asked) and writes everything as named
arrays into an .npz file that the Java tests load, so both sides use the very same numbers.

usage: nn_blocks_oracle.py OUT.npz MODE
  convtranspose   F.conv_transpose3d(stride 2, kernel 2) and autograd of sum(y * r)
  prelu           F.prelu with one slope and with one slope per channel
  instancenorm    F.instance_norm without and with affine weight and bias
  upsample        F.interpolate(mode='trilinear', align_corners=False) to several sizes
  batchnorm       nn.BatchNorm3d(momentum 0.1): one training step, then inference
  globalpool      F.adaptive_avg_pool3d(x, 1).flatten(1) and autograd of sum(y * r), for a map with
                  per-channel offsets (2,3,4,5,6) and one with unit and odd axes (1,4,3,1,7)
Prints a JSON summary (the array names) on stdout.
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

out_path, mode = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
arrays = {}


def put(name, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    arrays[name] = a.astype(np.int64 if a.dtype.kind in "iu" else np.float32)


if mode == "convtranspose":
    x = torch.randn(2, 3, 3, 4, 5, requires_grad=True)
    w = (0.5 * torch.randn(3, 4, 2, 2, 2)).requires_grad_()
    b = torch.randn(4, requires_grad=True)
    y = F.conv_transpose3d(x, w, b, stride=2)
    r = torch.randn(y.shape)
    (y * r).sum().backward()
    for n, t in [("x", x), ("w", w), ("b", b), ("r", r), ("y", y),
                 ("grad_x", x.grad), ("grad_w", w.grad), ("grad_b", b.grad)]:
        put(n, t)
elif mode == "prelu":
    x = torch.randn(2, 3, 4, 5, 6)
    a1 = torch.tensor([0.37])
    ac = torch.tensor([0.1, -0.3, 0.8])
    put("x", x)
    put("a1", a1)
    put("ac", ac)
    put("y1", F.prelu(x, a1))
    put("yc", F.prelu(x, ac))
elif mode == "instancenorm":
    # per sample and channel offsets and scales, so that the statistics differ
    x = torch.randn(2, 3, 4, 5, 6) * (0.5 + 2 * torch.rand(2, 3, 1, 1, 1)) + 3 * torch.randn(2, 3, 1, 1, 1)
    g = torch.randn(3)
    b = torch.randn(3)
    put("x", x)
    put("g", g)
    put("b", b)
    put("y", F.instance_norm(x, eps=1e-5))
    put("y_affine", F.instance_norm(x, weight=g, bias=b, eps=1e-5))
elif mode == "upsample":
    cases = [("x", (2, 3, 3, 4, 5), [(6, 8, 10), (7, 4, 2), (5, 9, 3), (2, 2, 2)]),
             ("s", (1, 2, 1, 2, 3), [(4, 3, 7), (1, 1, 1)])]
    for name, shape, sizes in cases:
        x = torch.randn(*shape)
        put(name, x)
        for i, size in enumerate(sizes):
            put("%s%d_size" % (name, i), np.array(size))
            put("%s%d_y" % (name, i), F.interpolate(x, size=size, mode="trilinear", align_corners=False))
    # the scale-factor form of the ×2 case must agree with the size form
    assert torch.equal(F.interpolate(torch.from_numpy(arrays["x"]), scale_factor=2, mode="trilinear",
                                     align_corners=False),
                       torch.from_numpy(arrays["x0_y"]))
elif mode == "batchnorm":
    bn = torch.nn.BatchNorm3d(3, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        bn.weight.copy_(0.5 + torch.rand(3))
        bn.bias.copy_(torch.randn(3))
        bn.running_mean.copy_(torch.randn(3))
        bn.running_var.copy_(0.5 + torch.rand(3))
    for n in ["weight", "bias", "running_mean", "running_var"]:
        put("before_" + n, getattr(bn, n))
    x = 1.5 * torch.randn(2, 3, 4, 5, 6) + 0.7
    put("x", x)
    bn.train()
    put("y_train", bn(x))
    put("after_running_mean", bn.running_mean)
    put("after_running_var", bn.running_var)
    bn.eval()
    x2 = torch.randn(2, 3, 3, 2, 4)
    put("x_eval", x2)
    put("y_eval", bn(x2))
elif mode == "globalpool":
    for name, shape in (("a", (2, 3, 4, 5, 6)), ("b", (1, 4, 3, 1, 7))):
        # per sample and channel offsets, so that every mean differs
        x = (torch.randn(*shape) + 3 * torch.randn(shape[0], shape[1], 1, 1, 1)).requires_grad_()
        y = F.adaptive_avg_pool3d(x, 1).flatten(1)
        r = torch.randn(y.shape)
        (y * r).sum().backward()
        for n, t in [("x", x), ("r", r), ("y", y), ("grad_x", x.grad)]:
            put(name + "." + n, t)
else:
    raise SystemExit("unknown mode " + mode)

np.savez(out_path, **arrays)
print(json.dumps({"mode": mode, "arrays": list(arrays)}))
