"""The Brevitas model of a yoloq plan: the job folder `yoloq qat --from-plan` writes (src/quant/learned/job.ts:
float.onnx with equalization applied and every node named by its plan label, plan.json with every weight's codes
explicit and its corrected biases, blocks.json with each activation decision's readers) becomes an onnx2torch model
in which each planned Conv is a Brevitas QuantConv2d (the plan's bias where it has one) and each activation
decision a Brevitas QuantIdentity.

What is the plan's and what is Brevitas': the scales, zero points, bit widths, codes, equalization, biases and the
places of the activation quantizers are the plan's; the quantizers that hold them (learned-scale parameters,
rounding, straight-through gradients) and the QCDQ export are Brevitas' own, so QAT can start from the plan and
move its scales. Decisions are computed first (`layer_settings`, `act_settings`, pure) and applied second.

Scales: each quantizer's scale parameter is the plan's float32 scale (UnitIntScaling), checked bit for bit after
building. Weights: each latent weight is the float weight moved into the rounding cell of its plan
code (at most 0.4 of a step from the code), so Brevitas' round-to-nearest gives exactly the plan's codes — GPTQ or
learned codes included — while the latent weight stays as near the float weight as those codes allow.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Optional, Union

import brevitas.nn as qnn
import numpy as np
import torch
from brevitas.core.zero_point import ParameterZeroPoint
from brevitas.inject.enum import ScalingImplType
from brevitas.quant.scaled_int import Int8ActPerTensorFloat, Int8WeightPerChannelFloat, Int8WeightPerTensorFloat
from brevitas.quant.shifted_scaled_int import (
    ShiftedUint8ActPerTensorFloat,
    ShiftedUint8WeightPerChannelFloat,
    ShiftedUint8WeightPerTensorFloat,
)
from onnx2torch import convert
from torch import Tensor, fx, nn

import brevitas
import onnx

from .events import InputError
from .learned.model import insert_before_readers, module_name
from .sources import free_batch_reshapes
from .surgery import quant_conv_like

# How far inside its rounding cell a latent weight is put: far enough from the cell's edge that float32 error in
# w / s can never round it to the neighbouring code.
CELL_MARGIN = 0.4
REFUSE_HINT = "make the plan per-channel (`yoloq quantize --target brevitas` or `--granularity per-channel`)"


@dataclass(frozen=True)
class LayerSettings:
    """One planned Conv as Brevitas takes it. `codes`: the Brevitas integer codes (unsigned for asymmetric plans:
    the plan's code + 2^(b−1)), shaped like the weight; `scales`/`zero_points`: one per output channel (or one)."""

    node: str
    bits: int
    signed: bool
    narrow: bool
    per_channel: bool
    scales: np.ndarray
    zero_points: np.ndarray
    codes: np.ndarray
    bias: np.ndarray | None = None  # the plan's corrected bias (error correction), else the Conv's own


@dataclass(frozen=True)
class ActSettings:
    value: str
    readers: tuple[str, ...]
    signed: bool
    scale: np.float32
    zero_point: int


class UnitIntScaling(brevitas.jit.ScriptModule):
    """Brevitas divides a scale parameter by the code range's largest magnitude (IntScaling: 7 for narrow 4-bit);
    float32 division by 7 or 15 cannot reach every float32 scale, so the plan's quantizers divide by 1 and their
    parameter is the scale itself, bit for bit."""

    def __init__(self, dtype: torch.dtype | None = None) -> None:
        super().__init__()
        self.dtype = dtype

    # IntScaling's signature, spelled as TorchScript reads it when Brevitas' JIT is on (BREVITAS_JIT=1).
    @brevitas.jit.script_method
    def forward(self, bit_width: Tensor, signed: Optional[Union[bool, Tensor]] = None) -> Tensor:  # noqa: UP007, UP045
        return torch.ones_like(bit_width)


def layer_settings(decision: dict) -> LayerSettings:
    """What Brevitas needs for one plan weight; InputError for what it cannot carry."""
    node = decision["node"]
    g = decision["granularity"]
    shape = [int(d) for d in decision["shape"]]
    if g["kind"] == "blocked":
        raise InputError(f"{node}: blocked granularity (block:{g['blockSize']}) has no Brevitas quantizer here; {REFUSE_HINT}")
    if g["kind"] == "per-channel" and int(g["axis"]) != 0:
        raise InputError(f"{node}: per-channel scales along axis {g['axis']}; Brevitas' Conv quantizers scale along 0")
    if "blockScales" in decision:
        raise InputError(f"{node}: two-level block scales cannot be carried by Brevitas; {REFUSE_HINT}")
    bits = int(decision["bits"])
    narrow = bool(decision["narrow"])
    zps = np.asarray(decision.get("zeroPoints") or [0] * len(decision["scales"]), dtype=np.int64)
    asym = bool(np.any(zps != 0))
    codes = np.frombuffer(base64.b64decode(decision["codes"]), dtype=np.int8).astype(np.int64).reshape(shape)
    if asym:  # yoloq plans hold zero points only with the full code range (src/quant/plan.ts), as Brevitas' do
        half = 2 ** (bits - 1)
        codes, zps = codes + half, zps + half  # Brevitas' shifted quantizers are unsigned: (q − z) is unchanged
    return LayerSettings(
        node=node,
        bits=bits,
        signed=not asym,
        narrow=narrow,
        per_channel=g["kind"] == "per-channel",
        scales=np.asarray(decision["scales"], dtype=np.float32),
        zero_points=zps,
        codes=codes,
        bias=None if decision.get("bias") is None else np.asarray(decision["bias"], dtype=np.float32),
    )


def act_settings(decision: dict, readers: list[str]) -> ActSettings:
    """A plan activation decision (always 8-bit per tensor, src/quant/plan.ts) and the nodes that read it quantized."""
    return ActSettings(
        value=decision["value"],
        readers=tuple(readers),
        signed=bool(decision["signed"]),
        scale=np.float32(decision["scale"]),
        zero_point=int(decision["zeroPoint"]),
    )


def _weight_quant(ls: LayerSettings):
    if ls.signed:
        base = Int8WeightPerChannelFloat if ls.per_channel else Int8WeightPerTensorFloat
        extra: dict = {}
    else:
        base = ShiftedUint8WeightPerChannelFloat if ls.per_channel else ShiftedUint8WeightPerTensorFloat
        extra = {"zero_point_impl": ParameterZeroPoint}
    return base.let(
        bit_width=ls.bits,
        narrow_range=ls.narrow,
        scaling_impl_type=ScalingImplType.PARAMETER,
        int_scaling_impl=UnitIntScaling,
        **extra,
    )


def _per_channel(values: np.ndarray, ls: LayerSettings) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))
    return t.reshape(-1, 1, 1, 1) if ls.per_channel else t.reshape(())


def quant_conv(conv: nn.Conv2d, ls: LayerSettings) -> qnn.QuantConv2d:
    """A QuantConv2d holding the plan's grid and codes, with `conv`'s geometry and bias."""
    kw: dict = {"weight_scaling_init": _per_channel(ls.scales, ls)}
    if ls.per_channel:
        kw["weight_scaling_shape"] = (conv.out_channels, 1, 1, 1)
    if not ls.signed:
        kw["weight_zero_point_init"] = _per_channel(ls.zero_points * ls.scales.astype(np.float64), ls)
        if ls.per_channel:
            kw["weight_zero_point_shape"] = (conv.out_channels, 1, 1, 1)
    q = quant_conv_like(conv, _weight_quant(ls), bias=conv.bias is not None or ls.bias is not None, **kw)
    s = _per_channel(ls.scales, ls).to(torch.float64)
    z = _per_channel(ls.zero_points.astype(np.float32), ls).to(torch.float64)
    cell = torch.from_numpy(ls.codes.astype(np.float64)) - z  # the plan's (q − z) per weight
    w = conv.weight.detach().to(torch.float64) / s
    latent = torch.clamp(w, cell - CELL_MARGIN, cell + CELL_MARGIN) * s
    with torch.no_grad():
        q.weight.copy_(latent.to(torch.float32))
        if ls.bias is not None:
            q.bias.copy_(torch.from_numpy(ls.bias))
        elif conv.bias is not None:
            q.bias.copy_(conv.bias.detach())
    check_layer(q, ls)
    return q


def check_layer(q: qnn.QuantConv2d, ls: LayerSettings) -> None:
    """The built quantizer reproduces the plan: same float32 scales, zero points and integer codes."""
    with torch.no_grad():
        qw = q.quant_weight()
        scale = qw.scale.detach().reshape(-1).numpy()
        codes = torch.round(qw.value / qw.scale + qw.zero_point).detach().numpy().astype(np.int64)
        zp = qw.zero_point.detach().reshape(-1).numpy()
    if not np.array_equal(np.broadcast_to(scale, ls.scales.shape).view(np.uint32), ls.scales.view(np.uint32)):
        raise RuntimeError(f"{ls.node}: Brevitas' scales differ from the plan's")
    if not np.array_equal(np.broadcast_to(zp.astype(np.int64), ls.zero_points.shape), ls.zero_points):
        raise RuntimeError(f"{ls.node}: Brevitas' zero points differ from the plan's")
    if not np.array_equal(codes, ls.codes):
        bad = int(np.sum(codes != ls.codes))
        raise RuntimeError(f"{ls.node}: {bad} of Brevitas' codes differ from the plan's")


def quant_identity(a: ActSettings) -> qnn.QuantIdentity:
    """A per-tensor 8-bit QuantIdentity with the plan's scale and zero point (uint8 shifted, or int8)."""
    base = Int8ActPerTensorFloat if a.signed else ShiftedUint8ActPerTensorFloat
    # Brevitas' zero point parameter is in the float domain, read back as min_int + round(value / scale).
    min_int = -128 if a.signed else 0
    quant = base.let(
        scaling_impl_type=ScalingImplType.PARAMETER,
        int_scaling_impl=UnitIntScaling,
        scaling_init=torch.tensor(float(a.scale), dtype=torch.float32),
        zero_point_impl=ParameterZeroPoint,
        zero_point_init=torch.tensor((a.zero_point - min_int) * float(a.scale), dtype=torch.float32),
        quantize_zero_point=True,
    )
    qi = qnn.QuantIdentity(act_quant=quant, return_quant_tensor=False)
    got = qi.act_quant.scale()
    zp = qi.act_quant.zero_point()
    if np.float32(got.item()) != a.scale or int(zp.item()) != a.zero_point:
        raise RuntimeError(f"activation {a.value}: Brevitas' scale {got.item()} / zero point {zp.item()} differ from the plan's")
    return qi


def _conv_holder(gm: nn.Module, label: str) -> tuple[nn.Module, str, nn.Conv2d, str]:
    """(parent module, attribute, the Conv2d, its qualified name) of a converted Conv node: the node's module itself,
    or the Conv2d inside onnx2torch's (pad, conv) Sequential."""
    name = module_name(label)
    try:
        module = gm.get_submodule(name)
    except AttributeError:
        raise InputError(f"the converted model has no module for plan node {label}") from None
    if isinstance(module, nn.Conv2d):
        return gm, name, module, name
    if isinstance(module, nn.Sequential):
        for child, m in module.named_children():
            if isinstance(m, nn.Conv2d):
                return module, child, m, f"{name}.{child}"
    raise InputError(f"{label}: onnx2torch made {type(module).__name__}, not a 2-D Conv")


def _insert_quant_identity(gm: fx.GraphModule, a: ActSettings, qi: nn.Module, index: int) -> None:
    """One QuantIdentity on `a.value`, read by exactly the plan's readers of it (where yoloq's exporters put Q/DQ)."""
    insert_before_readers(gm, a.value, list(a.readers), qi, index)


@dataclass
class PlanModel:
    model: fx.GraphModule
    #: Qualified module names of the QuantConv2d layers, in plan order (distillation taps them).
    layers: list[str]
    summary: dict


def build_plan_model(float_onnx: str, plan: dict, activations: list[dict]) -> PlanModel:
    """The job's float graph with the plan's quantizers in Brevitas form. All decisions are checked before any
    module is built, so a plan Brevitas cannot carry fails with the first offending layer named."""
    layers = [layer_settings(d) for d in plan["weights"]]
    by_value = {a["value"]: a for a in plan["activations"]}
    acts = [act_settings(by_value[a["value"]], a["readers"]) for a in activations]
    proto = onnx.load(float_onnx)
    free_batch_reshapes(proto)  # QAT feeds batches to a graph exported at batch 1 (sources.py)
    gm = convert(proto, attach_onnx_mapping=True)
    names: list[str] = []
    for ls in layers:
        holder, attr, conv, qualified = _conv_holder(gm, ls.node)
        q = quant_conv(conv, ls)
        if holder is not gm:
            setattr(holder, attr, q)
        else:
            q = _with_mapping(q, conv)
            setattr(gm, attr, q)
        names.append(qualified)
    for i, a in enumerate(acts):
        _insert_quant_identity(gm, a, quant_identity(a), i)
    gm.graph.lint()
    gm.recompile()
    gm.eval()
    params = sum(int(np.prod(d["shape"])) for d in plan["weights"]) or 1
    low = sum(int(np.prod(d["shape"])) for d in plan["weights"] if int(d["bits"]) <= 4)
    summary = {
        "fromPlan": True,
        "scheme": plan["scheme"],
        "layers": len(layers),
        "layers4bit": sum(ls.bits <= 4 for ls in layers),
        "layers8bit": sum(ls.bits == 8 for ls in layers),
        "asymmetricLayers": sum(not ls.signed for ls in layers),
        "activationQuantizers": len(acts),
        "percentParams4bit": 100.0 * low / params,
        "equalized": len(plan.get("equalization") or []),
        "decisions": [
            {"name": n, "node": ls.node, "weight_bits": ls.bits, "asymmetric": not ls.signed, "reason": "from the yoloq plan"}
            for n, ls in zip(names, layers)
        ],
    }
    return PlanModel(gm, names, summary)


def _with_mapping(q: nn.Module, conv: nn.Module) -> nn.Module:
    # Activation insertion reads each node's ONNX inputs from onnx2torch's mapping on the module.
    mapping = getattr(conv, "onnx_mapping", None)
    if mapping is not None:
        q.onnx_mapping = mapping
    return q
