"""The QCDQ export works on the installed torch (≥ 2.9) with no manual patching, and the compatibility shim
serves Brevitas versions that still import torch.onnx._globals."""

from __future__ import annotations

import importlib
import sys

import brevitas.nn as qnn
import numpy as np
import onnxruntime as ort
import torch
from packaging.version import Version
from yoloq_brevitas.export_compat import GLOBALS_MODULE, export_kwargs, export_qcdq, exporter_globals, legacy_onnx_globals
from yoloq_brevitas.quantizers import Int4WeightPerChannelNarrowStats, Uint8ActPerTensorAsymStats

import onnx


def _tiny_quant_model() -> torch.nn.Module:
    torch.manual_seed(0)
    m = torch.nn.Sequential(
        qnn.QuantIdentity(act_quant=Uint8ActPerTensorAsymStats, return_quant_tensor=False),
        qnn.QuantConv2d(3, 8, 3, padding=1, weight_quant=Int4WeightPerChannelNarrowStats),
    )
    from brevitas.graph.calibrate import calibration_mode

    with torch.no_grad(), calibration_mode(m):
        m(torch.rand(2, 3, 16, 16))
    with torch.no_grad():
        m(torch.rand(1, 3, 16, 16))
    return m.eval()


def test_installed_torch_is_the_post_2_9_exporter():
    assert Version(torch.__version__.split("+")[0]) >= Version("2.9")
    assert exporter_globals().export_onnx_opset_version > 0
    assert export_kwargs(13) == {"opset_version": 13, "keep_initializers_as_inputs": False, "do_constant_folding": True, "dynamo": False}


def test_qcdq_export_runs_in_ort_and_matches_torch(tmp_path):
    m = _tiny_quant_model()
    x = torch.rand(1, 3, 16, 16)
    path = str(tmp_path / "q.onnx")
    export_qcdq(m, x, path)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    assert model.opset_import[0].version == 13
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("QuantizeLinear") >= 1 and "Clip" in ops and ops.count("DequantizeLinear") >= 2
    inits = {t.name for t in model.graph.initializer}
    assert not any(i.name in inits for i in model.graph.input), "initializers must not be graph inputs"
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"images": x.numpy()})[0]
    with torch.no_grad():
        ref = m(x).numpy()
    # Brevitas' parity rule: at most one output quantization step apart (here: float accumulation order only).
    assert np.max(np.abs(got - ref)) < 1e-4


def test_4bit_weights_are_narrow_range_codes(tmp_path):
    m = _tiny_quant_model()
    path = str(tmp_path / "q.onnx")
    export_qcdq(m, torch.rand(1, 3, 16, 16), path)
    model = onnx.load(path)
    by_name = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    consts = {n.output[0]: onnx.numpy_helper.to_array(n.attribute[0].t) for n in model.graph.node if n.op_type == "Constant"}
    clips = [n for n in model.graph.node if n.op_type == "Clip"]
    bounds = [(int({**by_name, **consts}[c.input[1]]), int({**by_name, **consts}[c.input[2]])) for c in clips]
    assert (-7, 7) in bounds


def test_legacy_globals_shim_serves_old_brevitas_and_leaves_nothing_behind():
    had = GLOBALS_MODULE in sys.modules
    with legacy_onnx_globals():
        # What Brevitas ≤ 0.12 runs during export (brevitas/export/onnx/__init__.py, onnx_export_opset):
        mod = importlib.import_module(GLOBALS_MODULE)
        assert isinstance(mod.GLOBALS.export_onnx_opset_version, int)
    if not had:
        assert GLOBALS_MODULE not in sys.modules


def test_export_works_when_an_old_brevitas_reads_the_opset_from_globals(tmp_path, monkeypatch):
    """Simulate Brevitas 0.12's opset lookup inside the export: without the shim it raises on torch ≥ 2.9."""
    import brevitas.export.onnx as bex

    def old_onnx_export_opset():
        try:
            import torch.onnx.symbolic_helper as cfg

            return cfg._export_onnx_opset_version
        except Exception:  # noqa: BLE001 - the old code's bare except
            from torch.onnx._globals import GLOBALS as cfg  # noqa: PLC0415

            return cfg.export_onnx_opset_version

    calls = []

    def spy():
        calls.append(old_onnx_export_opset())
        return calls[-1]

    monkeypatch.setattr(bex, "onnx_export_opset", spy)
    for name, mod in list(sys.modules.items()):
        if name.startswith("brevitas.export") and hasattr(mod, "onnx_export_opset"):
            monkeypatch.setattr(mod, "onnx_export_opset", spy)
    m = _tiny_quant_model()
    export_qcdq(m, torch.rand(1, 3, 16, 16), str(tmp_path / "q.onnx"))
    assert calls and all(c == 13 for c in calls)
