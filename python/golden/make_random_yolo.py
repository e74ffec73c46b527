"""Export a random-init ultralytics detector built from its model YAML (e.g. yolov10m.yaml) to ONNX, with no download.

    python/.venv/bin/python python/golden/make_random_yolo.py --yaml yolov10m.yaml --out /tmp/yolov10m-random.onnx

For timing only (bench/quantize-profile.ts): the weights and BatchNorm statistics are random, so activations can be
degenerate and accuracy means nothing. Same export settings as python/train_default/export_onnx.py (opset 17, static
640x640, end-to-end head). Prints the parameter count on stderr and the ONNX path on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--yaml", default="yolov10m.yaml")
    p.add_argument("--out", required=True)
    p.add_argument("--imgsz", type=int, default=640)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    os.environ.setdefault("YOLO_OFFLINE", "1")
    import torch
    from ultralytics import YOLO

    torch.manual_seed(a.seed)
    # ultralytics writes the export into the working directory: run it in a temporary one.
    with tempfile.TemporaryDirectory(prefix="yoloq-random-") as work, contextlib.redirect_stdout(sys.stderr):
        cwd = os.getcwd()
        os.chdir(work)
        try:
            yolo = YOLO(a.yaml)
            params = sum(t.numel() for t in yolo.model.parameters())
            exported = yolo.export(format="onnx", imgsz=a.imgsz, opset=17, simplify=False, dynamic=False, nms=False)
        finally:
            os.chdir(cwd)
        tmp = a.out + ".tmp"
        shutil.copyfile(os.path.join(work, exported) if not os.path.isabs(exported) else exported, tmp)
        os.replace(tmp, a.out)
    print(f"parameters: {params}", file=sys.stderr)
    print(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
