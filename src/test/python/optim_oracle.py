"""torch.optim.Adam and torch.optim.SGD (python3-torch) on fixed weights and gradients, the oracle
for VoxelSeg's Optimiser. Prints JSON: the weights after each of 3 steps for
Adam(lr 0.01, weight_decay 0.1), SGD(lr 0.1, momentum 0.9, weight_decay 0.01) and plain SGD.

"clip": torch.nn.utils.clip_grad_norm_(params, max_norm=1.0) on three parameters of shapes 2x3, 4
and 3x2x2 with random gradients (drawn in float32, computed in float64), scaled so that the total
norm is above 1 ("clipped", scale 1) and below it ("unclipped", scale 0.125); then one plain SGD step
(lr 0.1), which must read the clipped gradients. Shapes, weights and gradients are flat lists in
parameter order; each case gives the total norm returned, the gradients after clipping and the
weights after the step."""
import json
import torch

w0 = torch.tensor([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]], dtype=torch.float64)
grads = [torch.tensor(g, dtype=torch.float64) for g in (
    [[0.1, -0.2, 0.3], [1.0, 0.0, -2.0]],
    [[-0.4, 0.5, 0.0], [0.2, 0.2, 0.2]],
    [[0.05, 0.05, -0.05], [-1.0, 3.0, 0.5]])]
lrs = [1.0, 0.5, 0.25]  # learning-rate multipliers per step, as a schedule would give


def run(make, base_lr):
    w = w0.clone().requires_grad_(True)
    opt = make([w])
    out = []
    for g, f in zip(grads, lrs):
        for group in opt.param_groups:
            group["lr"] = base_lr * f
        w.grad = g.clone()
        opt.step()
        out.append(w.detach().flatten().tolist())
    return out


def clip_case(scale):
    ws = [w.clone().requires_grad_(True) for w in clip_weights]
    for w, g in zip(ws, clip_grads):
        w.grad = g * scale
    total = torch.nn.utils.clip_grad_norm_(ws, max_norm=1.0)
    after = [w.grad.clone() for w in ws]
    torch.optim.SGD(ws, lr=0.1).step()
    return {"grads": [(g * scale).flatten().tolist() for g in clip_grads], "total": float(total),
            "after": [g.flatten().tolist() for g in after], "weights_after": [w.detach().flatten().tolist() for w in ws]}


torch.manual_seed(0)
clip_shapes = [(2, 3), (4,), (3, 2, 2)]
clip_weights = [torch.randn(s, dtype=torch.float32).double() for s in clip_shapes]
clip_grads = [torch.randn(s, dtype=torch.float32).double() for s in clip_shapes]

# 0.125, a power of two: the scaled float32 gradients are exact, the same on both sides
print(json.dumps({
    "clip": {"shapes": clip_shapes, "weights": [w.flatten().tolist() for w in clip_weights],
             "clipped": clip_case(1.0), "unclipped": clip_case(0.125)},
    "adam": run(lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1), 0.01),
    "sgd_momentum": run(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01), 0.1),
    "sgd": run(lambda p: torch.optim.SGD(p, lr=0.1), 0.1),
}))
