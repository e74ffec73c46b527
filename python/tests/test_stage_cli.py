"""The stage end to end through its command line: JSON-lines protocol, PTQ + QAT + export of an ONNX source,
determinism under --seed, resumable checkpoints, and bad input as one error event with exit code 2."""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
from conftest import run_stage

import onnx
from onnx import numpy_helper

FAST = ["--calib-count", "2", "--gptq-count", "1", "--batch", "2"]


def _weights(path: str) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}


def test_w4a8_qat_from_onnx_emits_progress_and_a_4bit_qcdq_model(tiny_onnx, tiny_data, tmp_path):
    out = str(tmp_path / "q.onnx")
    code, events, err = run_stage("--model", tiny_onnx, "--data", tiny_data, "-o", out, "--steps", "2", *FAST)
    assert code == 0, err[-2000:]
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "result" and "error" not in kinds
    stages = [e["stage"] for e in events if e["event"] == "progress"]
    for s in ("load", "surgery", "calibrate", "gptq", "bias-correction", "qat", "export"):
        assert s in stages, s
    qat = [e for e in events if e["event"] == "progress" and e["stage"] == "qat"]
    assert [e["step"] for e in qat] == [1, 2] and all(e["total"] == 2 and np.isfinite(e["loss"]) for e in qat)
    res = events[-1]
    assert res["onnx"] == os.path.abspath(out) and res["qat"]["steps"] == 2 and res["qat"]["loss"] == "distill"
    assert res["surgery"]["layers4bit"] == 7 and res["outputShape"] == [1, 84, 85]
    model = onnx.load(out)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Conv") == 11 and ops.count("QuantizeLinear") >= 10 and "Clip" in ops
    sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    y = sess.run(None, {"images": np.random.default_rng(0).uniform(0, 255, (1, 3, 64, 64)).astype(np.float32)})[0]
    assert y.shape == (1, 84, 85) and np.isfinite(y).all()


def test_w4a16_is_weight_only(tiny_onnx, tiny_data, tmp_path):
    out = str(tmp_path / "q.onnx")
    code, events, err = run_stage(
        "--model", tiny_onnx, "--data", tiny_data, "-o", out, "--scheme", "w4a16", "--ptq", "calibrate", "--steps", "1", *FAST
    )
    assert code == 0, err[-2000:]
    ops = [n.op_type for n in onnx.load(out).graph.node]
    assert events[-1]["surgery"]["activationQuantizers"] == 0
    assert ops.count("QuantizeLinear") == 0 and ops.count("DequantizeLinear") == 11  # one per weight, none on activations


def test_same_seed_same_model_and_resume_matches_an_unbroken_run(tiny_onnx, tiny_data, tmp_path):
    args = ["--model", tiny_onnx, "--data", tiny_data, "--ptq", "calibrate,bias-correction", "--seed", "3", *FAST]
    a, b = str(tmp_path / "a.onnx"), str(tmp_path / "b.onnx")
    assert run_stage(*args, "-o", a, "--steps", "3")[0] == 0
    assert run_stage(*args, "-o", b, "--steps", "3")[0] == 0
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)

    ckpt, c = str(tmp_path / "run.ckpt"), str(tmp_path / "c.onnx")
    code, _, err = run_stage(*args, "-o", c, "--steps", "3", "--checkpoint", ckpt, "--checkpoint-every", "2")
    assert code == 0, err[-2000:]
    # Cut the run at step 2: rewrite the checkpoint as the one step 2 left, then resume to 3.
    import torch

    state = torch.load(ckpt, weights_only=False)
    assert state["step"] == 3
    code, _, err = run_stage(
        *args, "-o", str(tmp_path / "half.onnx"), "--steps", "3", "--checkpoint", ckpt, "--checkpoint-every", "2", "--stop-after", "2"
    )
    assert code == 0, err[-2000:]
    assert torch.load(ckpt, weights_only=False)["step"] == 2
    code, events, err = run_stage(*args, "-o", c, "--steps", "3", "--checkpoint", ckpt, "--resume")
    assert code == 0, err[-2000:]
    assert events[-1]["resumed"] is True
    assert [e["step"] for e in events if e["event"] == "progress" and e["stage"] == "qat"] == [3]
    wc = _weights(c)
    assert all(np.allclose(wa[k], wc[k], atol=1e-6) for k in wa)


def test_bad_input_is_one_error_event_and_exit_2(tiny_data, tmp_path):
    code, events, _ = run_stage("--model", str(tmp_path / "missing.onnx"), "--data", tiny_data, "-o", str(tmp_path / "x.onnx"))
    assert code == 2 and len(events) == 1 and events[0]["event"] == "error" and events[0]["kind"] == "input"
    assert "missing.onnx" in events[0]["message"]
    code, events, _ = run_stage("--model", "m.onnx", "--data", str(tmp_path), "-o", str(tmp_path / "x.onnx"), "--scheme", "w3a3")
    assert code == 2 and events[0]["kind"] == "input" and "w3a3" in events[0]["message"]
    code, events, _ = run_stage("--model", "m.txt", "--data", tiny_data, "-o", str(tmp_path / "x.onnx"))
    assert code == 2 and "expected an ONNX model" in events[0]["message"]
