"""PyTorch reference of VoxelSeg's segmentation networks, written from the javadoc of
sc.fiji.voxelseg.nn.UNet3d, VNet, FPN3d, ConvUnit and SegmentationNetwork. Modules are registered in the
order and under the names the Java blocks use, so that state_dict() (less num_batches_tracked)
lists the parameters in the order of DJL's block.getParameters().

usage: nets_oracle.py OUT.npz SPEC...
  count=CONFIG                  parameter count, sum(p.numel() for p in parameters())
  case=NAME:CONFIG:MODE:N,D,H,W a forward pass (MODE eval or train) of random input with random
                                weights and running statistics; writes NAME.x, NAME.pNNN (the
                                state_dict entries in order), NAME.outNN (the output list) and,
                                for train, NAME.afterNNN (the state_dict after the step)
  CONFIG is arch,in,classes,levels,base,kernel,norm, e.g. unet,1,9,4,64,3,batch.
Prints JSON: {"counts": {CONFIG: n}, "names": {NAME: [state_dict names]}}.
"""
import json
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def norm_layer(norm, ch):
    if norm == "batch":
        return nn.BatchNorm3d(ch, eps=1e-5, momentum=0.1)
    if norm == "instance":
        return nn.InstanceNorm3d(ch, eps=1e-5, affine=True)
    assert norm == "none", norm
    return None


class ConvUnit(nn.Module):
    """Convolution (with a bias only when there is no normalisation), norm, activation."""

    def __init__(self, cin, cout, kernel, stride, padding, norm, act):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, kernel, stride, padding, bias=norm == "none")
        n = norm_layer(norm, cout)
        if n is not None:
            self.norm = n
        self.act_kind = act
        if act == "prelu":
            self.act = nn.PReLU(cout)

    def pre_activation(self, x):
        y = self.conv(x)
        return self.norm(y) if hasattr(self, "norm") else y

    def forward(self, x):
        y = self.pre_activation(x)
        if self.act_kind == "relu":
            return F.relu(y)
        if self.act_kind == "prelu":
            return self.act(y)
        return y


def same(cin, cout, kernel, norm, act):
    return ConvUnit(cin, cout, kernel, 1, kernel // 2, norm, act)


def add_encoder(module, cin, levels, base, kernel, norm):
    """The U-Net's encoder, registered as enc0..: at level i units in -> max(w_i/2, in) -> w_i."""
    c = cin
    for i in range(levels):
        w = base << i
        mid = max(w // 2, c)
        module.add_module("enc%d" % i, nn.Sequential(same(c, mid, kernel, norm, "relu"),
                                                     same(mid, w, kernel, norm, "relu")))
        c = w


def encode(children, x, levels):
    """The encoder maps by level, 2x2x2 max-pooling between levels."""
    enc, y = [], x
    for i in range(levels):
        if i > 0:
            y = F.max_pool3d(y, 2, 2)
        y = children["enc%d" % i](y)
        enc.append(y)
    return enc


class UNet3d(nn.Module):
    """Encoder level i: units in -> max(w_i/2, in) -> w_i with ReLU, 2x2x2 max-pooling between
    levels; decoder level i: ConvTranspose3d(w_{i+1}, w_i, 2, 2), cat((skip, up), 1), units
    2w_i -> w_i -> w_i; a 1x1x1 convolution to the logits. Registered: encoders, then (up, dec)
    from the deepest, then head."""

    def __init__(self, cin, classes, levels, base, kernel, norm):
        super().__init__()
        self.levels = levels
        width = lambda i: base << i
        add_encoder(self, cin, levels, base, kernel, norm)
        for i in range(levels - 2, -1, -1):
            w = width(i)
            self.add_module("up%d" % i, nn.ConvTranspose3d(width(i + 1), w, 2, stride=2))
            self.add_module("dec%d" % i, nn.Sequential(same(2 * w, w, kernel, norm, "relu"),
                                                       same(w, w, kernel, norm, "relu")))
        self.add_module("head", nn.Conv3d(width(0), classes, 1))

    def forward(self, x):
        m = dict(self.named_children())
        dec = [None] * (self.levels - 1)
        enc = encode(m, x, self.levels)
        y = enc[-1]
        for i in range(self.levels - 2, -1, -1):
            up = m["up%d" % i](y)
            y = m["dec%d" % i](torch.cat((enc[i], up), 1))
            dec[i] = y
        # logits, encoder maps deepest first, decoder maps deepest first
        return [m["head"](y)] + enc[::-1] + dec[::-1]


class FPN3d(nn.Module):
    """The U-Net's encoder; top-down t_i = units(skip_i(e_i) + nearest x2(lateral_i(t_{i+1}))) with
    1x1x1 convolutions (bias) lateral_i: w_{i+1} -> w_i, skip_i: w_i -> w_i and units w_i -> w_i -> w_i;
    balanced maps b_i = balance_i(t_i) to the base width (t_{l-1} = e_{l-1}); head: per level a 1x1x1
    convolution b_i -> classes (bias at level 0 only), x = h_{l-1}, x = up(x) + h_i down to level 0.
    Registered: encoders, then (lateral, skip, dec) from the deepest, balance0.., head0..; the output
    is the U-Net's list followed by the balanced maps, deepest first."""

    def __init__(self, cin, classes, levels, base, kernel, norm):
        super().__init__()
        self.levels = levels
        width = lambda i: base << i
        add_encoder(self, cin, levels, base, kernel, norm)
        for i in range(levels - 2, -1, -1):
            w = width(i)
            self.add_module("lateral%d" % i, nn.Conv3d(width(i + 1), w, 1))
            self.add_module("skip%d" % i, nn.Conv3d(w, w, 1))
            self.add_module("dec%d" % i, nn.Sequential(same(w, w, kernel, norm, "relu"),
                                                       same(w, w, kernel, norm, "relu")))
        for i in range(levels):
            self.add_module("balance%d" % i, nn.Conv3d(width(i), base, 1))
        for i in range(levels):
            self.add_module("head%d" % i, nn.Conv3d(base, classes, 1, bias=i == 0))

    def forward(self, x):
        m = dict(self.named_children())
        up = nn.Upsample(scale_factor=2, mode="nearest")
        dec = [None] * (self.levels - 1)
        enc = encode(m, x, self.levels)
        y = enc[-1]
        for i in range(self.levels - 2, -1, -1):
            y = m["dec%d" % i](m["skip%d" % i](enc[i]) + up(m["lateral%d" % i](y)))
            dec[i] = y
        b = [m["balance%d" % i](enc[i] if i == self.levels - 1 else dec[i]) for i in range(self.levels)]
        logits = m["head%d" % (self.levels - 1)](b[-1])
        for i in range(self.levels - 2, -1, -1):
            logits = up(logits) + m["head%d" % i](b[i])
        return [logits] + enc[::-1] + dec[::-1] + b[::-1]


class UpUnit(nn.Module):
    """2x2x2 stride-2 transposed convolution (with bias), norm, per-channel PReLU."""

    def __init__(self, cin, cout, norm):
        super().__init__()
        self.conv = nn.ConvTranspose3d(cin, cout, 2, stride=2)
        n = norm_layer(norm, cout)
        if n is not None:
            self.norm = n
        self.act = nn.PReLU(cout)

    def forward(self, x):
        y = self.conv(x)
        if hasattr(self, "norm"):
            y = self.norm(y)
        return self.act(y)


class Stage(nn.Module):
    """A residual VNet stage: entry unit, convolution units ('ops'), closing PReLU."""

    def __init__(self, entry, units, channels):
        super().__init__()
        self.entry = entry
        if units:
            self.ops = nn.Sequential(*units)
        self.act = nn.PReLU(channels)
        self.channels = channels

    def input(self, x):
        # PReLU(norm(conv(x)) + x tiled to the stage's channels, when the input channels divide them)
        y = self.entry.pre_activation(x)
        cin = x.shape[1]
        if self.channels % cin == 0:
            y = y + x.repeat(1, self.channels // cin, 1, 1, 1)
        return self.act(y)

    def down(self, x):
        d = self.entry(x)
        return self.act(self.ops(d) + d)

    def up(self, x, skip):
        c = torch.cat((self.entry(x), skip), 1)
        return self.act(self.ops(c) + c)


class VNet(nn.Module):
    """Input stage; down stages i = 1..l-1 (2x2x2 stride-2 unit w_{i-1} -> w_i, then n_i units:
    1, 2, 3 and 2 for 5 levels); up stages from the deepest (transposed-convolution unit to w_i,
    cat((up, skip), 1), n'_i units at 2w_i: 2, 2, 1, 1 for 5 levels); 1x1x1 convolution 2w_0 -> K."""

    def __init__(self, cin, classes, levels, base, kernel, norm):
        super().__init__()
        self.levels = levels
        width = lambda i: base << i
        units = lambda ch, n: [same(ch, ch, kernel, norm, "prelu") for _ in range(n)]
        self.add_module("in", Stage(same(cin, width(0), kernel, norm, "none"), [], width(0)))
        for i in range(1, levels):
            n = 2 if (i == levels - 1 and i >= 3) else min(i, 3)
            self.add_module("down%d" % i, Stage(ConvUnit(width(i - 1), width(i), 2, 2, 0, norm, "prelu"),
                                                units(width(i), n), width(i)))
        c = width(levels - 1)
        for i in range(levels - 2, -1, -1):
            w = width(i)
            self.add_module("up%d" % i, Stage(UpUnit(c, w, norm), units(2 * w, 2 if i >= 2 else 1), 2 * w))
            c = 2 * w
        self.add_module("head", nn.Conv3d(2 * width(0), classes, 1))

    def forward(self, x):
        m = dict(self.named_children())
        enc = [m["in"].input(x)]
        for i in range(1, self.levels):
            enc.append(m["down%d" % i].down(enc[-1]))
        dec = [None] * (self.levels - 1)
        y = enc[-1]
        for i in range(self.levels - 2, -1, -1):
            y = m["up%d" % i].up(y, enc[i])
            dec[i] = y
        return [m["head"](y)] + enc[::-1] + dec[::-1]


def build(config):
    arch, cin, classes, levels, base, kernel, norm = config.split(",")
    cls = {"unet": UNet3d, "vnet": VNet, "fpn": FPN3d}[arch]
    return cls(int(cin), int(classes), int(levels), int(base), int(kernel), norm)


def state(net):
    return [(n, t) for n, t in net.state_dict().items() if not n.endswith("num_batches_tracked")]


def randomise(net):
    """Random values for what default initialisation leaves constant: norm weights and biases,
    running statistics, PReLU slopes; convolutions keep PyTorch's random initialisation."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm3d, nn.InstanceNorm3d)):
                m.weight.copy_(0.5 + torch.rand(m.weight.shape))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape))
                if m.running_mean is not None:
                    m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape))
                    m.running_var.copy_(0.5 + torch.rand(m.running_var.shape))
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(0.05 + 0.4 * torch.rand(m.weight.shape))


def main():
    out_path = sys.argv[1]
    arrays, counts, names = {}, {}, {}
    for spec in sys.argv[2:]:
        kind, arg = spec.split("=", 1)
        if kind == "count":
            counts[arg] = sum(p.numel() for p in build(arg).parameters())
        elif kind == "case":
            name, config, mode, shape = arg.split(":")
            torch.manual_seed(0)
            net = build(config)
            randomise(net)
            n, c = int(shape.split(",")[0]), int(config.split(",")[1])
            x = torch.randn(n, c, *[int(v) for v in shape.split(",")[1:]])
            arrays[name + ".x"] = x.numpy()
            names[name] = []
            for i, (pn, t) in enumerate(state(net)):
                names[name].append(pn)
                arrays["%s.p%03d" % (name, i)] = t.numpy().copy()
            net.train(mode == "train")
            with torch.no_grad():
                out = net(x)
            for i, t in enumerate(out):
                arrays["%s.out%02d" % (name, i)] = t.numpy()
            if mode == "train":
                for i, (pn, t) in enumerate(state(net)):
                    arrays["%s.after%03d" % (name, i)] = t.numpy().copy()
        else:
            raise SystemExit("unknown spec " + spec)

    np.savez(out_path, **{k: v.astype(np.float32) for k, v in arrays.items()})
    print(json.dumps({"counts": counts, "names": names}))


if __name__ == "__main__":
    main()
