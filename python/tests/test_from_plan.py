"""plan → Brevitas → QCDQ → yoloq round trip (`yoloq qat --from-plan`, python/yoloq_brevitas/from_plan.py) on the tiny
detector, through yoloq's CLI: `quantize` makes a W4A8 plan in two forms — asymmetric per-channel weights (GPTQ codes
with zero points, the default) and symmetric narrow-range per-channel weights (`--target brevitas`), both with
equalization, corrected biases and uint8 activations — then `qat --from-plan --steps 0` exports it with Brevitas'
own exporter, and yoloq's plan reader (src/quant/read/read-plan.ts, run through node) reads the export back.

Asserted against the plan (the job's plan.json, every code explicit) and against the plan's own export
(`yoloq apply --format qcdq`, read back the same way): weight codes and zero points equal, weight scales float32
bit-exact (0 ulp), activation scales and zero points within one quantization step (measured: equal), and the two
ONNX files' outputs in ONNX Runtime within 1e-5 absolute (outputs of magnitude ≲ 1; measured 0 on this fixture).
A blocked plan is refused with exit 2 naming the layer. Skipped without node or a built dist/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import PYTHON_DIR, write_image_folder

REPO = os.path.dirname(PYTHON_DIR)
DIST = os.path.join(REPO, "dist")
CLI = os.path.join(DIST, "src", "cli", "main.js")
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None or not os.path.isfile(CLI), reason="needs node and a built dist/ (npx tsc)")

# yoloq's plan reader on one ONNX file: the plan, what it kept, and which value each read weight's node reads first
# (in the read float graph an activation pair is gone and its readers read the decision's value).
READ_JS = """
import { readFileSync } from 'node:fs';
const [dist, path] = process.argv.slice(1);
const { modelFromBytes } = await import(`${dist}/src/onnx/serde/model-io.js`);
const { readPlan } = await import(`${dist}/src/quant/read/read-plan.js`);
const { mainGraph, nodeLabel } = await import(`${dist}/src/onnx/ir/graph.js`);
const r = readPlan(modelFromBytes(readFileSync(path)));
const g = mainGraph(r.float);
const byLabel = new Map(g.nodes.map((n, i) => [nodeLabel(n, i), n]));
const inputs = r.plan.weights.map((w) => byLabel.get(w.node)?.inputs[0] ?? null);
process.stdout.write(JSON.stringify({ plan: r.plan, kept: r.kept, inputs }));
"""

ORT_TOLERANCE = 1e-5


def yoloq(*args: str, expect: int = 0) -> subprocess.CompletedProcess:
    env = {**os.environ, "YOLOQ_PYTHON": os.environ.get("YOLOQ_PYTHON", sys.executable)}
    r = subprocess.run([NODE, CLI, *args], capture_output=True, text=True, env=env, cwd=REPO)
    assert r.returncode == expect, r.stderr[-2000:]
    return r


def read_back(path: str) -> dict:
    r = subprocess.run([NODE, "--input-type=module", "-e", READ_JS, DIST, path], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


def codes_of(w: dict) -> np.ndarray:
    import base64

    return np.frombuffer(base64.b64decode(w["codes"]), dtype=np.int8)


@pytest.fixture(scope="module")
def setup(tiny_onnx, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("from_plan")
    return {"root": root, "imgs": write_image_folder(root / "imgs"), "model": tiny_onnx}


def make_plan(setup: dict, name: str, *extra: str) -> str:
    root = setup["root"]
    plan = str(root / f"{name}.json")
    common = ("--model", setup["model"], "--family", "yolox", "--scheme", "w4a8", "--calib", setup["imgs"], "--sqnr-images", "0")
    yoloq("quantize", *common, *extra, "--plan", plan, "-o", str(root / f"{name}.q.onnx"))
    return plan


@pytest.fixture(scope="module", params=["asymmetric", "symmetric"])
def round_trip(request, setup) -> dict:
    root = setup["root"]
    name = request.param
    extra = ("--format", "qdq") if name == "asymmetric" else ("--target", "brevitas")
    plan = make_plan(setup, name, *extra)
    brevitas = str(root / f"{name}.brevitas.onnx")
    work = str(root / f"{name}.work")
    yoloq(
        "qat",
        "--from-plan",
        plan,
        "--model",
        setup["model"],
        "--family",
        "yolox",
        "--images",
        setup["imgs"],
        "--steps",
        "0",
        "--no-int4",
        "--work-dir",
        work,
        "-o",
        brevitas,
    )
    own = str(root / f"{name}.apply.onnx")
    yoloq("apply", "--plan", plan, setup["model"], "--format", "qcdq", "-o", own)
    job = os.path.join(work, "plan-job")
    with open(os.path.join(job, "plan.json"), encoding="utf8") as f:
        explicit = json.load(f)
    return {"name": name, "job": job, "plan": explicit, "brevitas": brevitas, "own": own}


def dequantized(w: dict) -> np.ndarray:
    """(q − z)·s of a plan weight, float64, shaped like the weight (per-tensor or per-channel along axis 0)."""
    shape = [int(d) for d in w["shape"]]
    q = codes_of(w).astype(np.float64).reshape(shape[0], -1)
    n = len(w["scales"])
    s = np.asarray(w["scales"], dtype=np.float64).reshape(n, 1)
    z = np.asarray(w.get("zeroPoints") or [0] * n, dtype=np.float64).reshape(n, 1)
    return ((q - z) * s).reshape(shape)


def match(plan_weights: list, got_weights: list) -> list[int]:
    """For each plan weight, the read-back weight of its layer. Node names and node order differ between exporters,
    so a layer is the read-back weight of the same shape whose dequantized values are nearest the plan's; the
    assignment must be one to one. Equality of codes and scales is asserted afterwards, not assumed."""
    out = []
    for p in plan_weights:
        dp = dequantized(p)
        dist = [np.max(np.abs(dequantized(g) - dp)) if g["shape"] == p["shape"] else np.inf for g in got_weights]
        out.append(int(np.argmin(dist)))
        assert np.isfinite(dist[out[-1]]), f"{p['node']}: no read-back weight of shape {p['shape']}"
    assert len(set(out)) == len(out), "two plan weights matched one read-back weight"
    return out


def _activation_by_conv(plan: dict, conv_inputs: list) -> list:
    by_value = {a["value"]: a for a in plan["activations"]}
    return [by_value.get(v) for v in conv_inputs]


def _float_nodes(job: str) -> list:
    import onnx

    return list(onnx.load(os.path.join(job, "float.onnx")).graph.node)


def _plan_conv_inputs(job: str, plan: dict) -> list:
    nodes = {n.name: n for n in _float_nodes(job)}
    return [nodes[w["node"]].input[0] for w in plan["weights"]]


def test_weights_come_back_bit_exact(round_trip):
    plan = round_trip["plan"]
    assert (round_trip["name"] == "asymmetric") == any(any(z != 0 for z in w.get("zeroPoints", [])) for w in plan["weights"])
    for other in (read_back(round_trip["brevitas"]), read_back(round_trip["own"])):
        assert other["kept"] == []
        got = other["plan"]["weights"]
        assert len(got) == len(plan["weights"])
        for p, k in zip(plan["weights"], match(plan["weights"], got)):
            g = got[k]
            assert g["shape"] == p["shape"] and g["bits"] == p["bits"] and g["granularity"] == p["granularity"], p["node"]
            np.testing.assert_array_equal(codes_of(g), codes_of(p), err_msg=p["node"])
            zp = p.get("zeroPoints") or [0] * len(p["scales"])
            assert (g.get("zeroPoints") or [0] * len(g["scales"])) == zp, p["node"]
            ps = np.asarray(p["scales"], dtype=np.float32).view(np.uint32)
            np.testing.assert_array_equal(np.asarray(g["scales"], dtype=np.float32).view(np.uint32), ps, err_msg=p["node"])
            if not p.get("zeroPoints"):
                assert g["narrow"] == p["narrow"], p["node"]


def test_activations_within_one_step(round_trip):
    plan = round_trip["plan"]
    want = _activation_by_conv(plan, _plan_conv_inputs(round_trip["job"], plan))
    assert sum(a is not None for a in want) > 0
    for other in (read_back(round_trip["brevitas"]), read_back(round_trip["own"])):
        got_all = _activation_by_conv(other["plan"], other["inputs"])
        got = [got_all[k] for k in match(plan["weights"], other["plan"]["weights"])]
        assert len(other["plan"]["activations"]) == len(plan["activations"])
        for w, g in zip(want, got):
            assert (w is None) == (g is None)
            if w is None:
                continue
            assert g["signed"] == w["signed"]
            s = np.float32(w["scale"])
            lo, hi = (-128, 127) if w["signed"] else (0, 255)
            assert abs(g["zeroPoint"] - w["zeroPoint"]) <= 1
            for q in (lo, hi):  # the ends of the represented range, each within one step of the plan's
                assert abs((q - g["zeroPoint"]) * np.float32(g["scale"]) - (q - w["zeroPoint"]) * s) <= s


def test_outputs_match_the_plans_own_export_in_ort(round_trip):
    import onnxruntime as ort
    from yoloq_brevitas.data import load_image_set

    images = load_image_set(round_trip["job"])
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    a = ort.InferenceSession(round_trip["brevitas"], so, providers=["CPUExecutionProvider"])
    b = ort.InferenceSession(round_trip["own"], so, providers=["CPUExecutionProvider"])
    worst = 0.0
    for i in range(len(images)):
        x = images.batch([i]).numpy()
        ya = a.run(None, {a.get_inputs()[0].name: x})[0]
        yb = b.run(None, {b.get_inputs()[0].name: x})[0]
        assert ya.shape == yb.shape
        worst = max(worst, float(np.max(np.abs(ya - yb))))
    print(f"{round_trip['name']}: max |Brevitas − yoloq qcdq| = {worst:.3g}")
    assert worst <= ORT_TOLERANCE


def test_blocked_plan_is_refused_naming_the_layer(setup):
    plan = make_plan(setup, "blocked", "--granularity", "block:8", "--format", "int4")
    out = str(setup["root"] / "blocked.brevitas.onnx")
    r = yoloq("qat", "--from-plan", plan, "--model", setup["model"], "--images", setup["imgs"], "-o", out, expect=2)
    line = r.stderr.strip().splitlines()[-1]
    assert "blocked granularity" in line and "/Conv" in line and "--target brevitas" in line
    assert not os.path.exists(out)


def test_qat_from_a_plan_is_seeded(setup):
    # Two QAT steps from the plan, twice: the same bytes (outputs are a function of inputs and seed), and the export
    # still reads back as a plan with every layer (QAT moves scales and weights, not the structure).
    plan = make_plan(setup, "seeded", "--target", "brevitas")
    outs = []
    for k in range(2):
        out = str(setup["root"] / f"seeded{k}.onnx")
        args = ("--from-plan", plan, "--model", setup["model"], "--family", "yolox", "--images", setup["imgs"])
        yoloq("qat", *args, "--steps", "2", "--batch", "2", "--no-int4", "-o", out)
        with open(out, "rb") as f:
            outs.append(f.read())
    assert outs[0] == outs[1]
    read = read_back(str(setup["root"] / "seeded0.onnx"))
    with open(plan, encoding="utf8") as f:
        planned = json.load(f)
    assert read["kept"] == [] and len(read["plan"]["weights"]) == len(planned["weights"])
    assert len(read["plan"]["activations"]) == len(planned["activations"])


def _decision(kind: str, zero_points: bool, rng) -> tuple[dict, np.ndarray]:
    """A 4-bit Conv weight [4, 2, 3, 3] decision with codes that are NOT round-to-nearest of the weight (as GPTQ's)."""
    import base64

    shape = [4, 2, 3, 3]
    w = rng.normal(0, 0.1, shape).astype(np.float32)
    n = 4 if kind == "per-channel" else 1
    scales = (0.02 + 0.01 * rng.random(n)).astype(np.float32)
    lo, hi = (-8, 7) if zero_points else (-7, 7)
    codes = rng.integers(lo, hi + 1, shape).astype(np.int8)
    d = {
        "node": "/m/Conv",
        "shape": shape,
        "bits": 4,
        "narrow": not zero_points,
        "granularity": {"kind": "per-channel", "axis": 0} if kind == "per-channel" else {"kind": "per-tensor"},
        "scales": [float(s) for s in scales],
        "codes": base64.b64encode(codes.tobytes()).decode(),
    }
    if zero_points:
        d["zeroPoints"] = [int(z) for z in rng.choice([-3, -2, -1, 1, 2, 3], n)]  # nonzero: the asymmetric path
    return d, w


@pytest.mark.parametrize("kind", ["per-channel", "per-tensor"])
@pytest.mark.parametrize("zero_points", [False, True])
def test_quant_conv_holds_any_codes_exactly(kind, zero_points):
    import torch
    from torch import nn
    from yoloq_brevitas.from_plan import layer_settings, quant_conv

    d, w = _decision(kind, zero_points, np.random.default_rng(7))
    conv = nn.Conv2d(2, 4, 3, bias=True)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(w))
    ls = layer_settings(d)
    q = quant_conv(conv, ls)  # checks scales, zero points and codes itself; the dequantized weight is checked here
    with torch.no_grad():
        got = q.quant_weight().value.double().numpy()
    n = len(d["scales"])
    s = np.asarray(d["scales"], dtype=np.float32).astype(np.float64).reshape(n, 1)
    z = np.asarray(d.get("zeroPoints") or [0] * n, dtype=np.float64).reshape(n, 1)
    want = ((codes_of(d).astype(np.float64).reshape(4, -1) - z) * s).reshape(d["shape"])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
    assert q.weight_quant.tensor_quant.int_quant.signed == (not zero_points)


def test_blocked_decision_is_an_input_error_naming_the_layer():
    from yoloq_brevitas.events import InputError
    from yoloq_brevitas.from_plan import layer_settings

    d, _ = _decision("per-channel", False, np.random.default_rng(0))
    d["granularity"] = {"kind": "blocked", "blockSize": 16}
    with pytest.raises(InputError, match=r"/m/Conv: blocked granularity \(block:16\).*--target brevitas"):
        layer_settings(d)
