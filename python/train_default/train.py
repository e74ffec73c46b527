"""Train the embedded default detector of `yoloq run` (assets/default/) from nothing but generated data.

    python python/train_default/train.py [--train 1500] [--val 100] [--epochs 15] [--imgsz 256] [--seed 1] [--out assets/default]

1. Runs yoloq's synthetic generator (node dist/src/synthetic/cli.js; `npm run build` first) — the same TypeScript
   code `yoloq run` uses for its evaluation and calibration images — into a temporary folder, with seed 1 (the run
   uses seed 0, so no training image is ever evaluated on).
2. Trains a YOLOv10 of reduced width (yolov10n's layout, width multiplier 0.125, see shapes-yolov10.yaml) with
   ultralytics on the CPU.
3. Exports FP32 ONNX (opset 17, NMS-free end-to-end output [1, 300, 6]) to <out>/shapes-yolov10.onnx and writes
   <out>/training.json with the command, versions, timings and ultralytics' own final validation numbers.

Needs torch, torchvision and ultralytics (python/train_default/requirements.txt; python/.venv made by
python/install.sh has them). A one-off script: CI never runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train", type=int, default=1500, help="training images")
    p.add_argument("--val", type=int, default=100, help="images ultralytics validates on (a split of the same seed)")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--imgsz", type=int, default=256)
    p.add_argument("--seed", type=int, default=1, help="data seed (yoloq run evaluates on seed 0)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--data", help="reuse a dataset folder made by the generator instead of making one")
    p.add_argument("--work", help="folder for the dataset and ultralytics' run (default: a temporary folder)")
    p.add_argument("--out", default=str(ROOT / "assets" / "default"))
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="any other ultralytics train argument")
    return p.parse_args()


def generate(data: Path, a: argparse.Namespace) -> float:
    cli = ROOT / "dist" / "src" / "synthetic" / "cli.js"
    if not cli.exists():
        sys.exit(f"{cli} is missing: run `npm run build` first")
    t0 = time.monotonic()
    subprocess.run(["node", str(cli), "--out", str(data), "--train", str(a.train), "--val", str(a.val), "--seed", str(a.seed)], check=True)
    return time.monotonic() - t0


def count_images(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.suffix == ".jpg") if folder.is_dir() else 0


def yaml_value(v: str):
    import yaml

    return yaml.safe_load(v)


def main() -> int:
    a = parse_args()
    os.environ.setdefault("YOLO_OFFLINE", "1")
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="yoloq-train-"))
    work.mkdir(parents=True, exist_ok=True)
    data = Path(a.data) if a.data else work / "shapes"
    gen_s = 0.0 if a.data else generate(data, a)

    import torch
    import ultralytics
    from ultralytics import YOLO

    model = YOLO(str(HERE / "shapes-yolov10.yaml"), task="detect")
    extra = {k: yaml_value(v) for k, v in (kv.split("=", 1) for kv in a.set)}
    t0 = time.monotonic()
    model.train(
        data=str(data / "data.yaml"),
        epochs=a.epochs,
        imgsz=a.imgsz,
        batch=a.batch,
        workers=a.workers,
        device="cpu",
        seed=0,
        deterministic=True,
        project=str(work / "runs"),
        name="train",
        exist_ok=True,
        plots=False,
        close_mosaic=max(1, a.epochs // 5),
        warmup_epochs=1,
        cache="ram",
        patience=0,
        amp=False,
        verbose=True,
        **extra,
    )
    train_s = time.monotonic() - t0
    trainer = model.trainer
    metrics = {k: float(v) for k, v in (trainer.metrics or {}).items()}
    best = Path(trainer.best) if Path(trainer.best).exists() else Path(trainer.last)

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(HERE.parent))
    from train_default.export_onnx import export

    export(str(best), str(out / "shapes-yolov10.onnx"), a.imgsz)
    record = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "dataSeed": a.seed,
        "trainImages": count_images(data / "images" / "train"),
        "valImages": count_images(data / "images" / "val"),
        "epochs": a.epochs,
        "batch": a.batch,
        "imgsz": a.imgsz,
        "generateSeconds": round(gen_s, 1),
        "trainSeconds": round(train_s, 1),
        "checkpoint": best.name,
        "ultralyticsFinalVal": metrics,
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "ultralytics": ultralytics.__version__},
        "machine": {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads()},
    }
    (out / "training.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
