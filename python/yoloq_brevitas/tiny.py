"""A tiny YOLOX-shaped detector for tests and fixtures: input [1, 3, 64, 64] (BGR 0–255 like YOLOX), output
[1, 84, 85] (8×8 + 4×4 + 2×2 anchor points at strides 8/16/32; x, y, log w, log h, then sigmoided objectness and
80 class scores), so yoloq's TS side detects it as the yolox family. It has what the surgery must handle: a stem,
a depthwise Conv, one tensor read by two Convs (a shared activation quantizer), a Concat feeding a Conv, BN to fold,
and prediction Convs.
"""

from __future__ import annotations

import torch
from torch import nn


def _cbs(cin: int, cout: int, k: int = 3, s: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


class TinyDetector(nn.Module):
    def __init__(self, num_classes: int = 80) -> None:
        super().__init__()
        self.stem = _cbs(3, 8, 3, 2)  # /2
        self.down1 = _cbs(8, 16, 3, 2)  # /4
        self.dw = _cbs(16, 16, 3, 2, groups=16)  # /8 depthwise
        self.a = _cbs(16, 16, 1)  # both read dw's output
        self.b = _cbs(16, 16, 1)
        self.fuse = _cbs(32, 24, 1)  # reads Concat(a, b)
        self.down2 = _cbs(24, 32, 3, 2)  # /16
        self.down3 = _cbs(32, 32, 3, 2)  # /32
        self.heads = nn.ModuleList(nn.Conv2d(c, 5 + num_classes, 1) for c in (24, 32, 32))
        self.nc = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x / 255.0 - 0.5
        y = self.dw(self.down1(self.stem(x)))
        p3 = self.fuse(torch.cat([self.a(y), self.b(y)], 1))
        p4 = self.down2(p3)
        p5 = self.down3(p4)
        outs = []
        for head, f in zip(self.heads, (p3, p4, p5)):
            o = head(f).flatten(2).transpose(1, 2)  # [1, HW, 85]
            outs.append(torch.cat([o[..., :4], o[..., 4:].sigmoid()], -1))
        return torch.cat(outs, 1)


def make_tiny_model(seed: int = 0) -> TinyDetector:
    torch.manual_seed(seed)
    m = TinyDetector()
    with torch.no_grad():  # non-trivial BN statistics, so folding changes the weights
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.1, 0.1)
    return m.eval()


def export_tiny_onnx(path: str, seed: int = 0) -> None:
    """The float tiny detector as an opset-13 ONNX file with BN left in (onnx2torch folds it back)."""
    from .export_compat import export_kwargs

    m = make_tiny_model(seed)
    kw = export_kwargs(13)
    kw["do_constant_folding"] = False
    kw["training"] = torch.onnx.TrainingMode.PRESERVE
    torch.onnx.export(m, torch.rand(1, 3, 64, 64) * 255, path, input_names=["images"], output_names=["output"], **kw)
