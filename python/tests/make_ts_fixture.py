"""Writes test/brevitas/fixtures/tiny-w4a8.qcdq.onnx (+ .json with the versions that made it): the tiny detector
through the whole stage (onnx2torch, BN folding, W4A8 surgery, calibration, bias correction, one QAT step,
export_onnx_qcdq), so the TS tests can check that `yoloq check`, `inspect` and `convert --to int4` take a real
Brevitas export without needing Python.

    python/.venv/bin/python python/tests/make_ts_fixture.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from conftest import PYTHON_DIR, write_data_folder  # noqa: E402

OUT = os.path.join(PYTHON_DIR, "..", "test", "brevitas", "fixtures")


def main() -> None:
    import torch
    from yoloq_brevitas.tiny import export_tiny_onnx

    import brevitas
    import onnx

    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "tiny.onnx")
        export_tiny_onnx(model)
        data = write_data_folder(os.path.join(tmp, "data"), 4, (64, 64))
        target = os.path.join(OUT, "tiny-w4a8.qcdq.onnx")
        args = [
            sys.executable,
            "-m",
            "yoloq_brevitas",
            "--model",
            model,
            "--data",
            data,
            "-o",
            target,
            "--steps",
            "1",
            "--batch",
            "2",
            "--calib-count",
            "4",
            "--ptq",
            "calibrate,bias-correction",
            "--seed",
            "0",
        ]
        r = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": PYTHON_DIR})
        if r.returncode != 0:
            sys.exit(r.stderr[-3000:])
        result = json.loads(r.stdout.strip().splitlines()[-1])
    record = {
        "made_by": "python/tests/make_ts_fixture.py",
        "torch": torch.__version__,
        "brevitas": brevitas.__version__,
        "onnx": onnx.__version__,
        "scheme": "w4a8",
        "layers4bit": result["surgery"]["layers4bit"],
        "layers8bit": result["surgery"]["layers8bit"],
        "outputShape": result["outputShape"],
    }
    with open(os.path.join(OUT, "tiny-w4a8.qcdq.json"), "w") as f:
        json.dump(record, f, indent=1)
    print(json.dumps(record))


if __name__ == "__main__":
    main()
