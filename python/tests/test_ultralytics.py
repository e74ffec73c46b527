"""ultralytics sources built from the bundled YAMLs (random weights, nothing downloaded), at a 64-pixel input:
label-based QAT with ultralytics' own loss, distillation without labels, and export in the layouts yoloq's TS
families read (YOLOv8/11: [1, 84, A]; YOLOv10 end-to-end: [1, 300, 6])."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import onnxruntime as ort
import pytest
import torch
from conftest import run_stage, write_data_folder
from yoloq_brevitas.config import SCHEMES
from yoloq_brevitas.fold import fold_batch_norms
from yoloq_brevitas.sources import load_source
from yoloq_brevitas.surgery import plan_layers
from yoloq_brevitas.topology import conv_topology

FAST = ["--calib-count", "2", "--batch", "2", "--ptq", "calibrate,bias-correction"]


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> str:
    return write_data_folder(str(tmp_path_factory.mktemp("ul")), 4, (64, 64), labels=True, pixel_scale=1 / 255)


def test_head_policy_on_yolov8n_matches_the_ts_rule():
    src = load_source("yolov8n.yaml")
    fold_batch_norms(src.model, src.kind)
    infos = conv_topology(src.model, torch.rand(1, 3, 64, 64))
    d = {i.name: i for i in infos}
    assert [n for n, i in d.items() if i.first] == ["model.0.conv"]
    last = sorted(n for n, i in d.items() if i.last)
    # box (cv2) and class (cv3) prediction Convs of the three levels; DFL's fixed Conv is not a target
    assert last == sorted([f"model.22.cv2.{k}.2" for k in range(3)] + [f"model.22.cv3.{k}.2" for k in range(3)])
    assert not any("dfl" in n for n in d)
    plan = plan_layers(infos, SCHEMES["w4a8"])
    assert sum(p.weight_bits == 8 for p in plan) == 7


def test_yolov8_label_based_qat_exports_decoded_output(labelled, tmp_path):
    out = str(tmp_path / "v8.onnx")
    code, events, err = run_stage("--model", "yolov8n.yaml", "--data", labelled, "-o", out, "--steps", "2", *FAST)
    assert code == 0, err[-3000:]
    res = events[-1]
    assert res["family"] == "yolov8" and res["qat"]["loss"] == "labels" and res["outputShape"] == [1, 84, 84]
    import onnx

    ops = [n.op_type for n in onnx.load(out).graph.node]
    assert ops.count("DequantizeLinear") > 2 * 60, "every Conv but DFL's carries quantized weights and inputs"
    y = ort.InferenceSession(out, providers=["CPUExecutionProvider"]).run(
        None, {"images": np.random.rand(1, 3, 64, 64).astype(np.float32)}
    )[0]
    assert y.shape == (1, 84, 84) and np.isfinite(y).all()


def test_yolov10_distillation_exports_end_to_end_output(tmp_path):
    data = write_data_folder(str(tmp_path / "d"), 4, (64, 64), pixel_scale=1 / 255)
    out = str(tmp_path / "v10.onnx")
    code, events, err = run_stage("--model", "yolov10n.yaml", "--data", data, "-o", out, "--steps", "2", "--scheme", "w4a16", *FAST)
    assert code == 0, err[-3000:]
    res = events[-1]
    assert res["family"] == "yolov10" and res["qat"]["loss"] == "distill" and res["outputShape"] == [1, 84, 6]


SHARED_V5 = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "models", "yolov5n.pt")


@pytest.mark.skipif(not os.path.isfile(SHARED_V5), reason="needs ../shared/data/models/yolov5n.pt")
def test_yolov5_repo_checkpoint_is_recognised_without_unpickling(tmp_path):
    from yoloq_brevitas.sources import is_yolov5_repo_checkpoint

    assert is_yolov5_repo_checkpoint(SHARED_V5)
    not_zip = tmp_path / "x.pt"
    not_zip.write_bytes(b"not a checkpoint")
    assert not is_yolov5_repo_checkpoint(str(not_zip))


@pytest.mark.skipif(
    not os.path.isfile(SHARED_V5) or importlib.util.find_spec("yolov5") is None,
    reason="needs yolov5n.pt and the optional yolov5 package (bash python/install.sh --with-yolov5)",
)
def test_yolov5_checkpoint_loads_through_the_yolov5_package():
    src = load_source(SHARED_V5)
    assert src.kind == "yolov5" and src.family == "yolov5"
    with torch.no_grad():
        assert src.model.eval()(torch.rand(1, 3, 64, 64))[0].shape == (1, 252, 85)
