"""Model sources: an ultralytics checkpoint or YAML (YOLOv8 / YOLOv10 / YOLO11), a YOLOv5 checkpoint (through the
`yolov5` package), or any FP32 ONNX model (through onnx2torch). Each becomes a float ``torch.nn.Module`` plus what
the rest of the stage needs to know about it.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field

import torch

from .events import InputError

log = logging.getLogger(__name__)

ULTRALYTICS_YAML_HINT = "an ultralytics model YAML such as yolov10m.yaml (built with random weights)"


@dataclass
class Source:
    model: torch.nn.Module
    #: "ultralytics" | "yolov5" | "onnx"
    kind: str
    #: yoloq family name of the exported output: "yolov8" | "yolov10" | "yolov5" | "yolox" | None (ONNX: TS decides)
    family: str | None
    #: (H, W) the model is exported at; None when the data folder decides.
    input_hw: tuple[int, int] | None
    description: str
    #: An ONNX source's metadata_props (ultralytics' names, stride, end2end, ...), carried into the export.
    metadata: dict[str, str] = field(default_factory=dict)


def _ultralytics_family(model: torch.nn.Module) -> str:
    head = model.model[-1]
    return "yolov10" if getattr(head, "one2one_cv2", None) is not None else "yolov8"


def mark_trainable(model: torch.nn.Module) -> None:
    """Every parameter trainable (ultralytics loads and folds with requires_grad off), except DFL's fixed
    0..reg_max-1 projection, which is never trained or quantized."""
    for p in model.parameters():
        p.requires_grad_(True)
    for m in model.modules():
        if type(m).__name__ == "DFL":
            for p in m.parameters():
                p.requires_grad_(False)


def _prepare_ultralytics(model: torch.nn.Module) -> torch.nn.Module:
    from ultralytics.cfg import get_cfg

    model = model.float()
    model.args = get_cfg()  # loss gains (box, cls, dfl) for label-based QAT
    mark_trainable(model)
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = False  # in-place ops break autograd through fake quantization
    return model


def is_yolov5_repo_checkpoint(path: str) -> bool:
    """True when a .pt pickles classes from the YOLOv5 repository's `models.yolo` module (not ultralytics.*), read
    from the pickle's text without unpickling. ultralytics would try to download a 'u' model in its place."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            name = next((n for n in z.namelist() if n.endswith("data.pkl")), None)
            return name is not None and b"models.yolo" in z.read(name) and b"ultralytics" not in z.read(name)
    except (zipfile.BadZipFile, OSError):
        return False


def load_ultralytics(path: str) -> Source:
    from ultralytics.nn.tasks import DetectionModel, load_checkpoint

    if path.endswith((".yaml", ".yml")):
        model = DetectionModel(cfg=path, nc=None, verbose=False)
        how = f"{os.path.basename(path)} (ultralytics YAML, random initialisation)"
    else:
        if is_yolov5_repo_checkpoint(path):
            return load_yolov5(path)
        model, _ = load_checkpoint(path)
        how = f"{os.path.basename(path)} (ultralytics checkpoint)"
    if not isinstance(model, DetectionModel) or getattr(model, "task", "detect") != "detect":
        raise InputError(f"{path}: not an ultralytics detection model ({type(model).__name__})")
    return Source(_prepare_ultralytics(model), "ultralytics", _ultralytics_family(model), None, how)


def load_yolov5(path: str) -> Source:
    """The original YOLOv5 checkpoint format (classes under `models.*`), unpickled with the `yolov5` package."""
    try:
        import yolov5  # noqa: F401  (the pip package carries the YOLOv5 repo's model code)
        from yolov5 import models as v5_models
        from yolov5 import utils as v5_utils
    except ImportError as e:
        raise InputError(f"{path} is a YOLOv5-repo checkpoint: install the `yolov5` package to read it ({e})") from e
    sys.modules.setdefault("models", v5_models)
    sys.modules.setdefault("utils", v5_utils)
    ckpt = torch.load(path, map_location="cpu", weights_only=False)  # a full pickled model: trusted input only
    model = (ckpt.get("ema") or ckpt["model"]).float()
    mark_trainable(model)
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
    return Source(model, "yolov5", "yolov5", None, f"{os.path.basename(path)} (YOLOv5 checkpoint)")


def free_batch_reshapes(proto) -> int:
    """Let a batch-1 export train on batches: a Reshape whose target shape is a constant starting with 1 and whose
    input's leading dimension is 1 (the batch of a model exported at batch 1, e.g. ultralytics' attention
    `view(B, heads, C, N)` folded to [1, 1, 128, 64]) gets 0 there instead, ONNX's "copy this dimension from the
    input". At batch 1 that is the same shape; at batch B it keeps B. Returns the Reshapes changed."""
    import onnx
    from onnx import numpy_helper

    try:
        inferred = onnx.shape_inference.infer_shapes(proto)
    except Exception:  # noqa: BLE001 - without shapes nothing is changed
        return 0
    leading = {}
    for vi in [*inferred.graph.value_info, *inferred.graph.input]:
        d = vi.type.tensor_type.shape.dim
        if len(d):
            leading[vi.name] = d[0].dim_value if d[0].HasField("dim_value") else None
    inits = {t.name: t for t in proto.graph.initializer}
    consts = {n.output[0]: n for n in proto.graph.node if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value"}
    changed = 0
    for node in proto.graph.node:
        if node.op_type != "Reshape" or len(node.input) < 2 or leading.get(node.input[0]) != 1:
            continue
        if any(a.name == "allowzero" and a.i == 1 for a in node.attribute):
            continue
        src = inits.get(node.input[1]) or (consts[node.input[1]].attribute[0].t if node.input[1] in consts else None)
        if src is None:
            continue
        shape = numpy_helper.to_array(src).copy()
        if shape.ndim != 1 or len(shape) < 2 or shape[0] != 1:
            continue
        shape[0] = 0
        name = f"{node.input[1]}__batch_free_{changed}"
        proto.graph.initializer.append(numpy_helper.from_array(shape, name))
        node.input[1] = name
        changed += 1
    return changed


def load_onnx(path: str) -> Source:
    from onnx2torch import convert

    import onnx

    try:
        proto = onnx.load(path)
    except Exception as e:  # noqa: BLE001 - any parse failure is the user's file
        raise InputError(f"{path}: not a readable ONNX model ({e})") from e
    inputs = [i for i in proto.graph.input if i.name not in {t.name for t in proto.graph.initializer}]
    if len(inputs) != 1:
        raise InputError(f"{path}: expected one image input, found {len(inputs)}")
    dims = [d.dim_value if d.HasField("dim_value") else None for d in inputs[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or dims[1] not in (3, None):
        raise InputError(f"{path}: input {inputs[0].name} has shape {dims}, expected [1, 3, H, W]")
    if inputs[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        raise InputError(f"{path}: input {inputs[0].name} is not FLOAT: give an FP32 ONNX model")
    if dims[0] == 1:
        free_batch_reshapes(proto)
    try:
        model = convert(proto)
    except Exception as e:  # noqa: BLE001
        raise InputError(f"{path}: onnx2torch cannot convert it ({e})") from e
    model = model.float()
    hw = (dims[2], dims[3]) if dims[2] and dims[3] else None
    meta = {p.key: p.value for p in proto.metadata_props}
    return Source(model, "onnx", None, hw, f"{os.path.basename(path)} (ONNX through onnx2torch)", meta)


def load_source(path: str) -> Source:
    """Dispatch on the file name; InputError for what cannot be read."""
    lower = path.lower()
    if lower.endswith(".onnx"):
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such file")
        return load_onnx(path)
    if lower.endswith((".yaml", ".yml")):
        return load_ultralytics(path)  # ultralytics resolves bundled names such as yolov10m.yaml itself
    if lower.endswith(".pt"):
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such file")
        return load_ultralytics(path)
    raise InputError(f"{path}: expected an ONNX model, an ultralytics .pt checkpoint or {ULTRALYTICS_YAML_HINT}")
