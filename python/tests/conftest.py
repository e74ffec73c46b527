"""Shared fixtures: a tiny YOLOX-shaped ONNX model and a data folder of random images in the stage's format.

Tests run on the CPU in a few seconds each; the model and images are made here, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
sys.path.insert(0, PYTHON_DIR)
warnings.filterwarnings("ignore")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_VERBOSE", "False")


def write_data_folder(folder: str, n: int, hw: tuple[int, int], seed: int = 0, labels: bool = False, pixel_scale: float = 1.0) -> str:
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    np.save(os.path.join(folder, "images.npy"), rng.integers(0, 256, size=(n, 3, *hw), dtype=np.uint8))
    meta = {
        "version": 1,
        "count": n,
        "height": hw[0],
        "width": hw[1],
        "pixelScale": pixel_scale,
        "channelOrder": "bgr",
        "family": "yolox",
        "files": [f"{i}.jpg" for i in range(n)],
    }
    with open(os.path.join(folder, "meta.json"), "w") as f:
        json.dump(meta, f)
    if labels:
        boxes = [[[int(rng.integers(0, 80)), 0.5, 0.5, 0.4, 0.3], [1, 0.25, 0.3, 0.2, 0.2]] for _ in range(n)]
        with open(os.path.join(folder, "labels.json"), "w") as f:
            json.dump({"labels": boxes}, f)
    return folder


def write_image_folder(folder, n: int = 6, seed: int = 0) -> str:
    """`n` random RGB PNGs of slightly different sizes: calibration images for the CLI (no decoding surprises)."""
    from PIL import Image

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (48 + 4 * i, 64, 3), dtype=np.uint8)).save(os.path.join(folder, f"{i}.png"))
    return str(folder)


@pytest.fixture(scope="session")
def tiny_onnx(tmp_path_factory) -> str:
    from yoloq_brevitas.tiny import export_tiny_onnx

    path = str(tmp_path_factory.mktemp("model") / "tiny.onnx")
    export_tiny_onnx(path)
    return path


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> str:
    return write_data_folder(str(tmp_path_factory.mktemp("data")), 6, (64, 64))


def run_stage(*args: str, timeout: int = 600) -> tuple[int, list[dict], str]:
    """Run `python -m yoloq_brevitas ARGS`; returns (exit code, parsed stdout events, stderr)."""
    env = {**os.environ, "PYTHONPATH": PYTHON_DIR}
    r = subprocess.run([sys.executable, "-m", "yoloq_brevitas", *args], capture_output=True, text=True, env=env, timeout=timeout)
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return r.returncode, events, r.stderr
