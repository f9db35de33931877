"""Writes a bioimage.io model package (format 0.5.4) as another tool would, with python3-torch,
numpy and yaml alone: a small 3D segmentation network whose weights are TorchScript (and, with
--onnx, also ONNX from torch.onnx.export), its test input in HU, the intensity window as clip +
scale_linear, and the test output that PyTorch computes (softmax probabilities, range [0, 1]).
BioImageIoTest checks that VoxelSeg reads the package and reproduces PyTorch's output.

usage: bioimageio_torchscript.py DIR [--onnx]
Prints JSON: the input and output shapes and the weight formats written.
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch
import yaml

out = sys.argv[1]
with_onnx = "--onnx" in sys.argv[2:]
os.makedirs(out, exist_ok=True)
torch.manual_seed(5)
torch.set_num_threads(1)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv3d(1, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm3d(4)
        self.up = torch.nn.ConvTranspose3d(4, 4, 2, stride=2)
        self.head = torch.nn.Conv3d(4, 3, 1)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        y = self.up(torch.nn.functional.max_pool3d(y, 2))
        return torch.softmax(self.head(y), 1)


net = Net().eval()
with torch.no_grad():
    net.bn.running_mean.uniform_(-0.2, 0.2)
    net.bn.running_var.uniform_(0.5, 1.5)
lo, hi = -100.0, 200.0
x = torch.rand(1, 1, 16, 16, 16) * 700 - 300  # HU, beyond the window on both sides
with torch.no_grad():
    y = net((x.clamp(lo, hi) - lo) / (hi - lo))
torch.jit.trace(net, torch.rand(1, 1, 16, 16, 16)).save(os.path.join(out, "weights.pt"))
np.save(os.path.join(out, "test_input.npy"), x.numpy().astype("<f4"))
np.save(os.path.join(out, "test_output.npy"), y.numpy().astype("<f4"))
formats = ["torchscript"]
if with_onnx:
    torch.onnx.export(net, torch.rand(1, 1, 16, 16, 16), os.path.join(out, "weights.onnx"), opset_version=13,
                      input_names=["raw"], output_names=["probabilities"],
                      dynamic_axes={"raw": {0: "b", 2: "z", 3: "y", 4: "x"}, "probabilities": {0: "b", 2: "z", 3: "y", 4: "x"}})
    formats.append("onnx")


def sha(name):
    with open(os.path.join(out, name), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


space = [{"type": "space", "id": a, "size": {"min": 8, "step": 8}} for a in ("z", "y", "x")]
weights = {"torchscript": {"source": "weights.pt", "sha256": sha("weights.pt"), "pytorch_version": "1.13"}}
if with_onnx:
    weights["onnx"] = {"source": "weights.onnx", "sha256": sha("weights.onnx"), "opset_version": 13}
rdf = {
    "format_version": "0.5.4", "type": "model", "name": "Tiny organ net",
    "description": "A test network with TorchScript weights", "authors": [{"name": "Test"}],
    "cite": [{"text": "Test", "url": "https://example.org"}], "license": "MIT", "documentation": "README.md",
    "inputs": [{"id": "raw", "axes": [{"type": "batch"}, {"type": "channel", "channel_names": ["ct"]}] + space,
                "test_tensor": {"source": "test_input.npy", "sha256": sha("test_input.npy")},
                "data": {"type": "float32"},
                "preprocessing": [{"id": "clip", "kwargs": {"min": lo, "max": hi}},
                                  {"id": "scale_linear", "kwargs": {"gain": 1 / (hi - lo), "offset": -lo / (hi - lo)}}]}],
    "outputs": [{"id": "probabilities",
                 "axes": [{"type": "batch"}, {"type": "channel", "channel_names": ["background", "liver", "kidney"]}]
                 + [{"type": "space", "id": a, "size": {"tensor_id": "raw", "axis_id": a}} for a in ("z", "y", "x")],
                 "test_tensor": {"source": "test_output.npy", "sha256": sha("test_output.npy")},
                 "data": {"type": "float32", "range": [0.0, 1.0]}}],
    "weights": weights,
}
with open(os.path.join(out, "README.md"), "w") as f:
    f.write("# Tiny organ net\n")
with open(os.path.join(out, "rdf.yaml"), "w") as f:
    yaml.safe_dump(rdf, f, sort_keys=False)
print(json.dumps({"input": list(x.shape), "output": list(y.shape), "weights": formats}))
