"""Topology, head policy and surgery on the tiny detector (through onnx2torch, as an ONNX source is handled)."""

from __future__ import annotations

import brevitas.nn as qnn
import torch
from torch import nn
from yoloq_brevitas.config import SCHEMES
from yoloq_brevitas.fold import fold_batch_norms
from yoloq_brevitas.sources import load_onnx
from yoloq_brevitas.surgery import apply_surgery, plan_layers, surgery_summary
from yoloq_brevitas.tiny import make_tiny_model
from yoloq_brevitas.topology import conv_topology


def _infos(tiny_onnx):
    src = load_onnx(tiny_onnx)
    assert fold_batch_norms(src.model, src.kind) == 8
    assert not any(isinstance(m, nn.BatchNorm2d) for m in src.model.modules())
    return src, conv_topology(src.model, torch.rand(1, 3, 64, 64) * 255)


def test_bn_folding_keeps_the_function(tiny_onnx):
    src = load_onnx(tiny_onnx)
    x = torch.rand(1, 3, 64, 64) * 255
    with torch.no_grad():
        ref = make_tiny_model()(x)
        fold_batch_norms(src.model, src.kind)
        got = src.model(x)
    assert torch.allclose(ref, got, atol=1e-4)


def test_first_last_and_shared_inputs(tiny_onnx):
    _, infos = _infos(tiny_onnx)
    assert len(infos) == 11
    firsts = [i.name for i in infos if i.first]
    lasts = [i.name for i in infos if i.last]
    assert len(firsts) == 1 and "stem" in firsts[0]
    assert len(lasts) == 3 and all("heads" in n for n in lasts)
    a = next(i for i in infos if "/a/" in i.name)
    b = next(i for i in infos if "/b/" in i.name)
    assert a.input_group == b.input_group, "two Convs reading one tensor share its quantizer"
    # p3 feeds down2 and head 0, p4 feeds down3 and head 1: 11 Convs read 8 distinct tensors
    assert len({i.input_group for i in infos}) == 8


def test_plan_keeps_stem_and_heads_at_8_bits(tiny_onnx):
    _, infos = _infos(tiny_onnx)
    w4a8 = plan_layers(infos, SCHEMES["w4a8"])
    assert sorted(d.weight_bits for d in w4a8).count(8) == 4
    assert all(d.act_group is not None for d in w4a8)
    w4a16 = plan_layers(infos, SCHEMES["w4a16"])
    assert all(d.act_group is None for d in w4a16)
    all4 = plan_layers(infos, SCHEMES["w4a8"], keep_first_last=False)
    assert all(d.weight_bits == 4 for d in all4)


def test_surgery_replaces_convs_and_shares_quantizers(tiny_onnx):
    src, infos = _infos(tiny_onnx)
    decisions = plan_layers(infos, SCHEMES["w4a8"])
    shared = apply_surgery(src.model, decisions)
    assert len(shared) == 8
    convs = [m for m in src.model.modules() if isinstance(m, qnn.QuantConv2d)]
    assert len(convs) == 11 and not any(type(m) is nn.Conv2d for m in src.model.modules())
    a = next(m for n, m in src.model.named_modules() if n.startswith("a/") and n.endswith("/Conv"))
    b = next(m for n, m in src.model.named_modules() if n.startswith("b/") and n.endswith("/Conv"))
    assert a.input_quant is b.input_quant
    s = surgery_summary(decisions)
    assert s["layers4bit"] == 7 and s["layers8bit"] == 4 and s["activationQuantizers"] == 8
    with torch.no_grad():
        assert src.model(torch.rand(1, 3, 64, 64) * 255).shape == (1, 84, 85)


def test_topk_percentiles_equal_brevitas_kthvalue():
    from brevitas.core.stats.stats_op import NegativePercentileOrZero, PercentileInterval
    from yoloq_brevitas.quantizers import TopkNegativePercentileOrZero, TopkPercentileInterval

    torch.manual_seed(0)
    for x in (torch.randn(1, 16, 52, 52) * 3 + 1, torch.rand(1000), torch.randn(7)):
        assert torch.equal(TopkPercentileInterval(0.001, 99.999)(x), PercentileInterval(0.001, 99.999)(x))
        assert torch.equal(TopkNegativePercentileOrZero(0.001)(x), NegativePercentileOrZero(0.001)(x))


def test_activation_quantizer_uses_the_topk_statistics():
    q = qnn.QuantIdentity(act_quant=__import__("yoloq_brevitas.quantizers", fromlist=["x"]).Uint8ActPerTensorAsymStats)
    kinds = {type(m).__name__ for m in q.modules()}
    assert {"TopkPercentileInterval", "TopkNegativePercentileOrZero"} <= kinds
