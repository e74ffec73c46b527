"""Export the trained model as QCDQ ONNX (opset 13) in the output layout yoloq's TS families read, then run it once
in ONNX Runtime against the PyTorch model. The file appears only when both succeeded (temp file, then rename).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from .export_compat import export_qcdq
from .sources import Source


def prepare_for_export(model: torch.nn.Module, source: Source) -> None:
    """Put the detection head in its export form: ultralytics decoded [1, 4+C, A] (YOLOv8/11) or end-to-end
    [1, 300, 6] (YOLOv10, one-to-one branch only); YOLOv5 decoded [1, A, 5+C]. ONNX models export as they are."""
    if source.kind == "ultralytics":
        head = model.model[-1]
        head.export, head.format, head.dynamic = True, "onnx", False
        if getattr(head, "one2one_cv2", None) is not None:
            head.end2end = True
        if hasattr(head, "fuse"):
            head.fuse()  # drops the branch inference does not use
    elif source.kind == "yolov5":
        head = model.model[-1]
        head.export = True
    model.eval()


def _first_tensor(out):
    while isinstance(out, (list, tuple)):
        out = out[0]
    return out


def export_model(model: torch.nn.Module, source: Source, example: torch.Tensor, path: str) -> dict:
    """Export to `path`; returns ORT-vs-PyTorch agreement on `example` (SQNR in dB of the raw output)."""
    import onnxruntime as ort

    tmp = f"{path}.{os.getpid()}.tmp"  # same folder, so the rename is atomic; the exporter creates it
    try:
        result = _export_and_compare(model, source, example, tmp, ort)
        _describe_like_source(tmp, source, result["outputShape"])
        os.replace(tmp, path)
        return result
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _describe_like_source(path: str, source: Source, output_shape: list[int]) -> None:
    """What yoloq's TS side reads to recognise the detector: an ONNX source's metadata (ultralytics' end2end, names,
    stride) and, for a model with a fixed input, the output's fixed shape (a batch-freed Reshape, see
    sources.free_batch_reshapes, leaves it symbolic in the export). The file is rewritten only when one is missing."""
    import onnx

    proto = onnx.load(path)
    changed = False
    have = {p.key for p in proto.metadata_props}
    for key, value in source.metadata.items():
        if key not in have:
            proto.metadata_props.add(key=key, value=value)
            changed = True
    fixed_input = all(d.HasField("dim_value") for d in proto.graph.input[0].type.tensor_type.shape.dim)
    dims = proto.graph.output[0].type.tensor_type.shape.dim
    if fixed_input and len(dims) == len(output_shape) and not all(d.HasField("dim_value") for d in dims):
        for d, n in zip(dims, output_shape):
            d.dim_value = int(n)
        changed = True
    if changed:
        onnx.save(proto, path)


def _export_and_compare(model, source: Source, example: torch.Tensor, path: str, ort) -> dict:
    model = model.cpu()
    example = example.cpu()
    prepare_for_export(model, source)
    export_qcdq(model, example, path)
    with torch.no_grad():
        ref = _first_tensor(model(example)).float().numpy()
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: example.numpy()})[0]
    if got.shape != ref.shape:
        raise RuntimeError(f"exported output shape {got.shape} differs from PyTorch's {ref.shape}")
    shape = list(got.shape)
    if source.kind == "ultralytics" and ref.ndim == 3 and ref.shape[-1] == 6:  # end-to-end top-k: order may differ on ties
        ref, got = np.sort(ref[..., 4].ravel()), np.sort(got[..., 4].ravel())
    err = float(np.mean((got - ref) ** 2))
    sig = float(np.mean(ref**2))
    return {
        "outputShape": shape,
        "ortSqnrDb": 10 * np.log10(sig / err) if err > 0 else None,
        "ortMaxAbsDiff": float(np.max(np.abs(got - ref))),
    }
