"""Time ONNX Runtime's own post-training quantizer (onnxruntime.quantization.quantize_static) on a model and a folder
of calibration images: the baseline bench/quantize-profile.ts states yoloq's stage times against.

    python/.venv/bin/python python/golden/ort_quantize_static.py --model m.onnx --images dir/ --count 64 --out q.onnx \
        [--placement centre|top-left] [--bgr] [--raw]

QDQ, uint8 activations (MinMax), int8 per-channel weights: ORT's default static recipe. Images are letterboxed to
the model's input size (pad 114; ultralytics: centred, RGB, /255; YOLOX: top-left, BGR, 0-255), the first `count`
by sorted name. Prints one JSON line: {"seconds" (wall), "cpuSeconds" (user + system), "images", "peakRssMb"}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time


def letterbox(path: str, width: int, height: int, centre: bool, bgr: bool, raw: bool):
    import numpy as np
    from PIL import Image

    im = Image.open(path).convert("RGB")
    r = min(width / im.width, height / im.height)
    w, h = round(im.width * r), round(im.height * r)
    canvas = Image.new("RGB", (width, height), (114, 114, 114))
    x, y = ((width - w) // 2, (height - h) // 2) if centre else (0, 0)
    canvas.paste(im.resize((w, h), Image.BILINEAR), (x, y))
    a = np.asarray(canvas, dtype=np.float32)
    if bgr:
        a = a[:, :, ::-1]
    if not raw:
        a = a / 255.0
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--images", required=True)
    p.add_argument("--count", type=int, default=64)
    p.add_argument("--out", required=True)
    p.add_argument("--placement", choices=("centre", "top-left"), default="centre")
    p.add_argument("--bgr", action="store_true")
    p.add_argument("--raw", action="store_true", help="pixels 0-255 (YOLOX) instead of /255")
    a = p.parse_args(argv)
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    import onnx

    model = onnx.load(a.model, load_external_data=False)
    inp = model.graph.input[0]
    dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    height, width = dims[2], dims[3]
    # FP16 exports (ultralytics half=True) take a float16 input.
    dtype = "float16" if inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT16 else "float32"
    exts = (".jpg", ".jpeg", ".png", ".bmp")
    paths = sorted(os.path.join(a.images, f) for f in os.listdir(a.images) if f.lower().endswith(exts))[: a.count]

    class Reader(CalibrationDataReader):
        """One image at a time, as yoloq's calibration reads them."""

        def __init__(self) -> None:
            self.it = iter(paths)

        def get_next(self):
            p = next(self.it, None)
            if p is None:
                return None
            return {inp.name: letterbox(p, width, height, a.placement == "centre", a.bgr, a.raw).astype(dtype)}

    t0 = time.perf_counter()
    c0 = time.process_time()
    quantize_static(
        a.model,
        a.out,
        Reader(),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
    )
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "cpuSeconds": round(cpu, 2), "images": len(paths), "peakRssMb": round(peak, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
