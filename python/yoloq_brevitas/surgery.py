"""Quant surgery: every quantizable nn.Conv2d becomes a Brevitas QuantConv2d with the same weights, at the scheme's
bits (the stem and prediction Convs at 8 bits unless told otherwise). Under an A8 scheme each distinct Conv input
tensor gets one 8-bit activation quantizer (a QuantIdentity), shared by every Conv that reads it; a Concat feeding
Convs is quantized once at its output, which equals one shared quantizer on all its inputs (equal scales by
construction). Decisions are computed first (``plan_layers``) and applied second (``apply_surgery``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass

import brevitas.nn as qnn
from torch import nn

from .config import Scheme
from .quantizers import act_quantizer, weight_quantizer
from .topology import ConvInfo


@dataclass(frozen=True)
class LayerDecision:
    name: str
    weight_bits: int
    act_group: int | None
    reason: str
    params: int


def plan_layers(infos: list[ConvInfo], scheme: Scheme, keep_first_last: bool = True) -> list[LayerDecision]:
    out = []
    for i in infos:
        kept = keep_first_last and (i.first or i.last)
        reason = ("stem layer kept at 8 bits" if i.first else "prediction layer kept at 8 bits") if kept else f"{scheme.name} weight bits"
        out.append(
            LayerDecision(
                i.name,
                scheme.kept_weight_bits if kept else scheme.weight_bits,
                i.input_group if scheme.act_bits else None,
                reason,
                i.module.weight.numel(),
            )
        )
    return out


def quant_conv_like(conv: nn.Conv2d, weight_quant, bias: bool | None = None, **kw) -> qnn.QuantConv2d:
    """A Brevitas QuantConv2d with `conv`'s geometry, device and dtype (weights not copied); a bias when `conv` has
    one, or as `bias` says."""
    return qnn.QuantConv2d(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=conv.bias is not None if bias is None else bias,
        padding_mode=conv.padding_mode,
        weight_quant=weight_quant,
        device=conv.weight.device,
        dtype=conv.weight.dtype,
        **kw,
    )


def _quant_conv(conv: nn.Conv2d, bits: int, scaling: str) -> qnn.QuantConv2d:
    q = quant_conv_like(conv, weight_quantizer(bits, scaling))
    q.weight.data.copy_(conv.weight.data)
    if conv.bias is not None:
        q.bias.data.copy_(conv.bias.data)
    return q


def apply_surgery(model: nn.Module, decisions: list[LayerDecision], weight_scaling: str = "stats") -> dict[int, qnn.QuantIdentity]:
    """Replace the Convs in place; returns the shared activation quantizers by input group (empty for A16)."""
    shared: dict[int, qnn.QuantIdentity] = {}
    for d in decisions:
        conv = model.get_submodule(d.name)
        new: nn.Module = _quant_conv(conv, d.weight_bits, weight_scaling)
        if d.act_group is not None:
            if d.act_group not in shared:
                shared[d.act_group] = qnn.QuantIdentity(act_quant=act_quantizer(weight_scaling), return_quant_tensor=False)
            new = nn.Sequential(OrderedDict(input_quant=shared[d.act_group], conv=new))
        parent, _, attr = d.name.rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, attr, new)
    return shared


def surgery_summary(decisions: list[LayerDecision]) -> dict:
    total = sum(d.params for d in decisions) or 1
    low = sum(d.params for d in decisions if d.weight_bits == 4)
    return {
        "layers": len(decisions),
        "layers4bit": sum(d.weight_bits == 4 for d in decisions),
        "layers8bit": sum(d.weight_bits == 8 for d in decisions),
        "activationQuantizers": len({d.act_group for d in decisions if d.act_group is not None}),
        "percentParams4bit": 100.0 * low / total,
        "decisions": [asdict(d) for d in decisions],
    }
