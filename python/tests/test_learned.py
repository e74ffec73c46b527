"""Learned rounding (yoloq_brevitas.learned) on the tiny detector, end to end through yoloq's CLI: `quantize` makes a
W4A8 plan (GPTQ codes, zero points, corrected biases, equalization), `learn --iters 0` writes the job folder, and the
torch model built from it must (a) hold exactly the plan's codes and (b) match ONNX Runtime on `apply --format qdq`
of the same plan within float tolerance (1e-5 absolute, outputs of magnitude ≲ 1; measured 6e-8). Then a short
learning run must not worsen any block and must write a valid plan. Skipped without node or a built dist/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from conftest import PYTHON_DIR, write_image_folder

REPO = os.path.dirname(PYTHON_DIR)
CLI = os.path.join(REPO, "dist", "src", "cli", "main.js")
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None or not os.path.isfile(CLI), reason="needs node and a built dist/ (npx tsc)")


def yoloq(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "YOLOQ_PYTHON": os.environ.get("YOLOQ_PYTHON", __import__("sys").executable)}
    r = subprocess.run([NODE, CLI, *args], capture_output=True, text=True, env=env, cwd=REPO)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


@pytest.fixture(scope="module")
def planned(tiny_onnx, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("learned")
    imgs = write_image_folder(root / "imgs")
    plan = str(root / "plan.json")
    yoloq(
        "quantize",
        "--model",
        tiny_onnx,
        "--family",
        "yolox",
        "--scheme",
        "w4a8",
        "--format",
        "qdq",
        "--calib",
        str(imgs),
        "--sqnr-images",
        "0",
        "--plan",
        plan,
        "-o",
        str(root / "q.onnx"),
    )
    qdq = str(root / "qdq.onnx")
    yoloq("apply", "--plan", plan, tiny_onnx, "--format", "qdq", "-o", qdq)
    job = str(root / "job")
    yoloq(
        "learn",
        "--model",
        tiny_onnx,
        "--family",
        "yolox",
        "--plan",
        plan,
        "--calib",
        str(imgs),
        "--iters",
        "0",
        "--work-dir",
        job,
        "-o",
        str(root / "same.json"),
    )
    return {"root": root, "imgs": str(imgs), "plan": plan, "qdq": qdq, "job": job, "model": tiny_onnx}


def test_round_trip_matches_ort_and_keeps_the_codes(planned):
    from yoloq_brevitas.learned.fakequant import decode_codes
    from yoloq_brevitas.learned.job import load_job
    from yoloq_brevitas.learned.model import build_quant_model

    job = load_job(planned["job"])
    assert job.plan["activations"] and any("zeroPoints" in w for w in job.plan["weights"])
    qm = build_quant_model(job.float_onnx, job.plan, job.activations)
    qm.set_quantized(True)
    for d in job.plan["weights"]:
        np.testing.assert_array_equal(qm.weights[d["node"]].codes().numpy().astype(np.int8).ravel(), decode_codes(d))
    _matches_ort(qm, job.images, planned["qdq"], atol=1e-5)


def _matches_ort(qm, images, onnx_path: str, atol: float) -> None:
    """The torch model's outputs against ONNX Runtime's (graph optimizations off) on every job image."""
    import onnxruntime as ort
    import torch

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    for i in range(len(images)):
        x = images.batch([i])
        with torch.no_grad():
            ours = qm.gm(x).numpy()
        np.testing.assert_allclose(ours, sess.run(None, {name: x.numpy()})[0], rtol=0, atol=atol)


def test_the_reference_is_the_float_model_not_the_corrected_one(planned):
    """The plan's corrected biases belong to the quantized model: the float reference the blocks learn to match must
    be the float model itself (with them, learning chased a shifted target and lost mAP)."""
    from yoloq_brevitas.learned.job import load_job
    from yoloq_brevitas.learned.model import build_quant_model

    job = load_job(planned["job"])
    # The job says where the family's output keeps boxes and scores (the output-weighted loss reads it).
    assert job.output == {"anchorAxis": 1, "box": {"offset": 0, "encoding": "yolox-grid"}, "objectness": 4, "scores": [5, None]}
    assert any("bias" in w for w in job.plan["weights"])
    qm = build_quant_model(job.float_onnx, job.plan, job.activations)
    qm.set_quantized(False)
    # Equalization rescales weights in the working graph: the same function up to float32 rounding.
    _matches_ort(qm, job.images, planned["model"], atol=1e-4)


def test_value_store_runs_each_node_once_and_matches_the_whole_model(planned):
    from collections import Counter

    import torch
    from torch import fx
    from yoloq_brevitas.learned.job import load_job
    from yoloq_brevitas.learned.model import build_quant_model
    from yoloq_brevitas.learned.value_store import ValueStore

    job = load_job(planned["job"])
    qm = build_quant_model(job.float_onnx, job.plan, job.activations)
    convs = [n for n in qm.gm.graph.nodes if n.op == "call_module" and n.target.replace("/", ".").endswith("Conv")]
    calls: list[str] = []
    for n in convs:
        qm.gm.get_submodule(n.target).register_forward_hook(lambda m, a, o, name=n.target: calls.append(name))
    count = len(job.images)
    chunks = -(-count // 2)

    class Whole(fx.Interpreter):
        def __init__(self, gm):
            super().__init__(gm)
            self.seen = {}

        def run_node(self, n):
            out = super().run_node(n)
            self.seen[n] = out
            return out

    for quantized in (True, False):
        qm.set_quantized(quantized)
        whole = Whole(qm.gm)
        with torch.no_grad():
            whole.run(job.images.batch(list(range(count))))
        qm.set_quantized(True)
        # Chunks of 2 images; the values asked for in graph order, as block reconstruction asks for them.
        store = ValueStore(qm, job.images, count, quantized, 2, torch.device("cpu"))
        calls.clear()
        got = store.get([convs[1]])
        assert calls == [convs[0].target, convs[1].target] * chunks, "only what the value needs runs"
        for n in (convs[2], convs[len(convs) // 2], convs[-1]):
            got.update(store.get([n]))
        assert set(Counter(calls).values()) == {chunks}, "every Conv that ran, ran once per chunk"
        for n, v in got.items():
            torch.testing.assert_close(v, whole.seen[n], rtol=0, atol=1e-6)


def test_iters_zero_writes_the_plan_back(planned):
    # Same decisions; only the sidecar's file name differs between the two plan files.
    a = json.loads(open(planned["plan"]).read())
    b = json.loads(open(os.path.join(planned["root"], "same.json")).read())
    a.pop("sidecar")
    b.pop("sidecar")
    assert a == b
    with (
        open(planned["plan"].replace(".json", ".safetensors"), "rb") as f,
        open(os.path.join(planned["root"], "same.safetensors"), "rb") as g,
    ):
        assert f.read() == g.read()


@pytest.mark.parametrize("loss", ["mse", "output"])
def test_short_learning_never_worsens_a_block_and_is_seeded(planned, loss):
    out = []
    for k in range(2):
        dest = os.path.join(planned["root"], f"learned-{loss}{k}.json")
        r = yoloq(
            "learn",
            "--model",
            planned["model"],
            "--family",
            "yolox",
            "--plan",
            planned["plan"],
            "--calib",
            planned["imgs"],
            "--iters",
            "20",
            "--batch",
            "2",
            "--lr",
            "0.05",
            "--loss",
            loss,
            "--json",
            "-o",
            dest,
        )
        summary = json.loads(r.stdout)
        assert summary["loss"] == loss
        for b in summary["blocks"]:
            assert b["lossAfter"] <= b["lossBefore"]
        out.append((open(dest, "rb").read(), open(dest.replace(".json", ".safetensors"), "rb").read()))
    assert out[0][1] == out[1][1]
    yoloq(
        "apply",
        "--plan",
        os.path.join(planned["root"], f"learned-{loss}0.json"),
        planned["model"],
        "--format",
        "qdq",
        "-o",
        os.path.join(planned["root"], "l.onnx"),
    )
