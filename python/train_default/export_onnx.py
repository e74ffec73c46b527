"""Export an ultralytics .pt detector to the ONNX `yoloq run` measures: FP32, opset 17, static shape, and for
YOLOv10 (or any NMS-free head) the end-to-end output [1, 300, 6] (``nms=False``).

    python -m train_default.export_onnx --model m.pt --out m.onnx [--imgsz 640] [--head one-to-many]   (cwd: python/)

Speaks yoloq's Python-stage protocol (python/yoloq_brevitas/events.py): stdout carries only JSON lines, the last
one {"event": "result", "onnx": ...} or {"event": "error", ...}; logs go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile


def export(model: str, out: str, imgsz: int | None, head: str = "default") -> str:
    os.environ.setdefault("YOLO_OFFLINE", "1")
    from ultralytics import YOLO

    # ultralytics writes its export beside the checkpoint: work on a copy so the user's folder is left alone.
    with tempfile.TemporaryDirectory(prefix="yoloq-export-") as work:
        local = os.path.join(work, os.path.basename(model))
        shutil.copyfile(model, local)
        yolo = YOLO(local)
        # NMS-free (YOLOv10-style) heads also carry the one-to-many branch they were trained with, scored with NMS:
        # ultralytics' exporter keeps the end-to-end branch exactly when nms is False, and adds no NMS when it is None.
        if head == "one-to-many" and getattr(yolo.model.model[-1], "one2one_cv2", None) is None:
            raise ValueError("--head one-to-many: this model has no NMS-free head")
        nms = None if head == "one-to-many" else False
        size = imgsz or int(getattr(yolo.model, "args", {}).get("imgsz", 640) or 640)
        exported = yolo.export(format="onnx", imgsz=size, opset=17, simplify=False, dynamic=False, half=False, nms=nms)
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        tmp = out + ".tmp"
        shutil.copyfile(exported, tmp)
        os.replace(tmp, out)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--imgsz", type=int)
    p.add_argument("--head", choices=("default", "one-to-many"), default="default")
    a = p.parse_args(argv)
    emit = lambda **kw: (sys.stdout.write(json.dumps(kw) + "\n"), sys.stdout.flush())  # noqa: E731
    if not os.path.isfile(a.model):
        emit(event="error", kind="input", message=f"{a.model} does not exist")
        return 2
    try:
        with contextlib.redirect_stdout(sys.stderr):
            out = export(a.model, a.out, a.imgsz, a.head)
    except Exception as e:  # noqa: BLE001 - reported through the protocol
        emit(event="error", kind="internal", message=f"{type(e).__name__}: {e}".splitlines()[0])
        return 1
    emit(event="result", onnx=os.path.abspath(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
