"""The job folder yoloq's TypeScript side writes (src/quant/learned/job.ts): float.onnx, plan.json (every weight's
codes explicit), blocks.json and the calibration images (images.npy + meta.json, python/yoloq_brevitas/data.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ..data import ImageSet, load_image_set
from ..events import InputError


@dataclass
class Job:
    folder: str
    float_onnx: str
    plan: dict
    blocks: list[dict]
    activations: list[dict]
    images: ImageSet
    output: dict | None  # the model output's layout (box, objectness, scores) for the output-metric loss


def load_job(folder: str) -> Job:
    names = ("float.onnx", "plan.json", "blocks.json", "images.npy", "meta.json")
    missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
    if missing:
        raise InputError(f"{folder}: not a learning job (missing {', '.join(missing)}; `yoloq learn` writes it)")
    with open(os.path.join(folder, "plan.json"), encoding="utf8") as f:
        plan = json.load(f)
    with open(os.path.join(folder, "blocks.json"), encoding="utf8") as f:
        blocks = json.load(f)
    if plan.get("yoloqPlan") != 1 or blocks.get("version") != 1:
        raise InputError(f"{folder}: plan.json or blocks.json is not in the expected version")
    bare = [w["node"] for w in plan["weights"] if "codes" not in w]
    if bare:
        raise InputError(f"{folder}/plan.json: weight {bare[0]} has no explicit codes")
    return Job(
        folder=folder,
        float_onnx=os.path.join(folder, "float.onnx"),
        plan=plan,
        blocks=blocks["blocks"],
        activations=blocks["activations"],
        images=load_image_set(folder),
        output=blocks.get("output"),
    )
