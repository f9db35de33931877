"""Exports a small TorchScript segmentation module with python3-torch and the logits it gives on
a fixed input, so the Java side can check that an imported .pt predicts what PyTorch predicts.
usage: torchscript_export.py OUT.pt INPUT.raw OUTPUT.raw
Writes OUT.pt; INPUT.raw gets a float32 (1,1,8,12,16) input, OUTPUT.raw the float32 logits
(1,3,8,12,16), both little-endian C order."""
import sys
import numpy as np
import torch

torch.manual_seed(3)
torch.set_num_threads(1)


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv3d(1, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm3d(4)
        self.up = torch.nn.ConvTranspose3d(4, 4, 2, stride=2)
        self.head = torch.nn.Conv3d(4, 3, 1)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        y = torch.nn.functional.max_pool3d(y, 2)
        y = self.up(y)
        return self.head(y), y


m = Tiny().eval()
with torch.no_grad():
    m.bn.running_mean.uniform_(-0.2, 0.2)
    m.bn.running_var.uniform_(0.5, 1.5)
x = torch.rand(1, 1, 8, 12, 16)
traced = torch.jit.trace(m, x)
traced.save(sys.argv[1])
with torch.no_grad():
    y = m(x)[0]
x.numpy().astype('<f4').tofile(sys.argv[2])
y.numpy().astype('<f4').tofile(sys.argv[3])
print('{"input": [1,1,8,12,16], "output": [1,3,8,12,16]}')
