"""Fake-quant modules built from a yoloq plan: a Conv whose weight rounding is learnable (AdaRound's rectified
sigmoid) on the plan's fixed grid, and a per-tensor activation quantizer with optional QDrop.

Grids follow src/quant/plan.ts: per-tensor, per-channel along `axis`, or blocked (the weight viewed [Cout, K], one
scale per `blockSize` consecutive elements of a row). A code q stands for (q − z)·s; codes live in
[qmin, qmax] = [−(2^(b−1)−1) or −2^(b−1), 2^(b−1)−1].
"""

from __future__ import annotations

import base64
import math

import numpy as np
import torch
from torch import nn

# AdaRound's stretch of the sigmoid: h(V) = clip(sigmoid(V)·(ζ − γ) + γ, 0, 1).
ZETA, GAMMA = 1.1, -0.1
# The plan's codes start as h = 1 − MARGIN or MARGIN rather than exactly 1 or 0, where the clip has no gradient.
MARGIN = 0.2


def rectified_sigmoid(v: torch.Tensor) -> torch.Tensor:
    return torch.clamp(torch.sigmoid(v) * (ZETA - GAMMA) + GAMMA, 0.0, 1.0)


def h_to_v(h: float) -> float:
    """The V with rectified_sigmoid(V) = h, for h in (0, 1)."""
    p = (h - GAMMA) / (ZETA - GAMMA)
    return math.log(p / (1 - p))


def code_range(bits: int, narrow: bool) -> tuple[int, int]:
    qmax = 2 ** (bits - 1) - 1
    return (-qmax if narrow else -qmax - 1), qmax


def scale_index(decision: dict) -> np.ndarray:
    """For each weight element (row-major), the index of its scale, as src/quant/weights/layout.ts computes it."""
    shape = [int(d) for d in decision["shape"]]
    n = int(np.prod(shape))
    g = decision["granularity"]
    i = np.arange(n)
    if g["kind"] == "per-tensor":
        return np.zeros(n, dtype=np.int64)
    if g["kind"] == "per-channel":
        axis = int(g["axis"])
        inner = int(np.prod(shape[axis + 1 :]))
        return (i // inner) % shape[axis]
    k = n // shape[0]
    bs = int(g["blockSize"])
    blocks = -(-k // bs)
    return (i // k) * blocks + (i % k) // bs


def decode_codes(decision: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(decision["codes"]), dtype=np.int8).copy()


class LearnedRoundingConv(nn.Module):
    """A Conv2d whose weight is (clamp(base + h) − z)·s: `base` fixed, h learned per weight (AdaRound), s and z the plan's;
    quantized, it adds the plan's corrected bias where the plan has one.

    `mode` is "float" (the float weight: the reference model), "hard" (h = [V ≥ 0], the codes this module would
    write) or "soft" (h = rectified_sigmoid(V), while learning).
    """

    def __init__(self, conv: nn.Conv2d, decision: dict) -> None:
        super().__init__()
        self.conv = conv
        self.node = decision["node"]
        self.mode = "hard"
        shape = tuple(int(d) for d in decision["shape"])
        if tuple(conv.weight.shape) != shape:
            raise ValueError(f"{self.node}: the Conv's weight is {list(conv.weight.shape)}, the plan says {list(shape)}")
        self.qmin, self.qmax = code_range(int(decision["bits"]), bool(decision["narrow"]))
        idx = torch.from_numpy(scale_index(decision))
        scales = torch.tensor(np.asarray(decision["scales"], dtype=np.float32))
        zps = torch.tensor(np.asarray(decision.get("zeroPoints") or [0] * len(decision["scales"]), dtype=np.float32))
        s = scales[idx].reshape(shape)
        z = zps[idx].reshape(shape)
        w = conv.weight.detach().to(torch.float32)
        codes = torch.from_numpy(decode_codes(decision).astype(np.float32)).reshape(shape)
        floor = torch.floor(w / s + z)
        # base + {0, 1} must reach the plan's code; a code farther than that from the float weight (a clamp, or a
        # GPTQ choice) moves the base instead, so the start is exactly the plan.
        base = torch.where(codes - floor >= 1, codes - 1, torch.where(codes - floor <= 0, codes, floor))
        up = (codes - base) >= 1
        self.register_buffer("w_float", w.clone())
        self.register_buffer("scale", s)
        self.register_buffer("zero", z)
        self.register_buffer("base", base)
        # The plan's corrected bias belongs to the quantized model; the float reference keeps the Conv's own.
        bias = decision.get("bias")
        self.register_buffer("bias_q", None if bias is None else torch.tensor(np.asarray(bias, dtype=np.float32)))
        self.v = nn.Parameter(torch.where(up, torch.tensor(h_to_v(1 - MARGIN)), torch.tensor(h_to_v(MARGIN))))

    def h(self) -> torch.Tensor:
        return rectified_sigmoid(self.v)

    def codes(self) -> torch.Tensor:
        """The hard codes, float32 integers in [qmin, qmax]."""
        return torch.clamp(self.base + (self.v >= 0).to(self.base.dtype), self.qmin, self.qmax)

    def weight(self) -> torch.Tensor:
        if self.mode == "float":
            return self.w_float
        q = self.codes() if self.mode == "hard" else torch.clamp(self.base + self.h(), self.qmin, self.qmax)
        return (q - self.zero) * self.scale

    def regulariser(self, beta: float) -> torch.Tensor:
        """Σ 1 − |2h − 1|^β: pushes every h to 0 or 1 as β falls (AdaRound)."""
        return (1 - (2 * self.h() - 1).abs().pow(beta)).sum()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.conv
        bias = c.bias if self.mode == "float" or self.bias_q is None else self.bias_q
        return nn.functional.conv2d(x, self.weight(), bias, c.stride, c.padding, c.dilation, c.groups)


class ActivationQuant(nn.Module):
    """Per-tensor uint8/int8 fake quantization, (clamp(round(x/s) + z) − z)·s, with a straight-through gradient.

    Off (`enabled` False) in the float model; with `drop` p > 0 each element keeps its float value with
    probability p (QDrop) while learning.
    """

    def __init__(self, decision: dict) -> None:
        super().__init__()
        self.value = decision["value"]
        self.register_buffer("scale", torch.tensor(float(decision["scale"]), dtype=torch.float32))
        self.zero = float(decision["zeroPoint"])
        self.lo, self.hi = (-128.0, 127.0) if decision["signed"] else (0.0, 255.0)
        self.enabled = True
        self.drop = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            return x
        t = x / self.scale
        r = t + (torch.round(t) - t).detach()
        q = (torch.clamp(r + self.zero, self.lo, self.hi) - self.zero) * self.scale
        if self.drop > 0 and self.training:
            return torch.where(torch.rand_like(x) < self.drop, x, q)
        return q
