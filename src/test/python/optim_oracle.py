"""torch.optim.Adam and torch.optim.SGD (python3-torch) on fixed weights and gradients, the oracle
for VoxelSeg's Optimiser. Prints JSON: the weights after each of 3 steps for
Adam(lr 0.01, weight_decay 0.1), SGD(lr 0.1, momentum 0.9, weight_decay 0.01) and plain SGD."""
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


print(json.dumps({
    "adam": run(lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1), 0.01),
    "sgd_momentum": run(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01), 0.1),
    "sgd": run(lambda p: torch.optim.SGD(p, lr=0.1), 0.1),
}))
