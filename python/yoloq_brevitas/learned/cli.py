"""``python -m yoloq_brevitas.learned --job DIR [options]``: learn the rounding of a yoloq plan block by block.

Reads the job folder (job.py), writes DIR/codes.safetensors (int8 codes per weight, named by node label) and
DIR/result.json (per-block loss and SQNR before/after, seconds). stdout carries only JSON lines (../events.py);
exit codes: 0 done, 2 bad input (one error event of kind "input"), 1 anything else.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
import traceback

from ..events import InputError, Reporter


class _ArgParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise InputError(f"{message} (see: python -m yoloq_brevitas.learned --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _ArgParser(prog="python -m yoloq_brevitas.learned", description="Learned rounding (block reconstruction) of a yoloq plan.")
    p.add_argument("--job", required=True, help="job folder written by `yoloq learn` (float.onnx, plan.json, blocks.json, images)")
    p.add_argument("--iters", type=int, default=200, help="Adam steps per block (0: write the plan's codes back)")
    p.add_argument("--batch", type=int, default=4, help="images per step")
    p.add_argument("--count", type=int, default=0, help="calibration images used (0: all in the job)")
    p.add_argument("--lr", type=float, default=0.05, help="Adam learning rate of the rounding variables V")
    p.add_argument("--qdrop", type=float, default=0.5, help="probability of skipping an activation quantizer while learning (A8 plans)")
    p.add_argument(
        "--loss",
        choices=("mse", "output"),
        default="mse",
        help="block loss: mse (plain squared error of the block outputs) or output (weighted by what the error does to the detections)",
    )
    p.add_argument("--projections", type=int, default=4, help="--loss output: sign vectors per image for the weights")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:N")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's choice)")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def _check(a: argparse.Namespace) -> None:
    if a.iters < 0 or a.batch < 1 or a.count < 0 or a.lr <= 0 or not (0 <= a.qdrop < 1) or a.threads < 0:
        raise InputError("--iters and --count must be ≥ 0, --batch ≥ 1, --lr > 0, --qdrop in [0, 1), --threads ≥ 0")
    if a.projections < 1:
        raise InputError("--projections must be ≥ 1")
    if not os.path.isdir(a.job):
        raise InputError(f"--job {a.job}: no such folder")


def _device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        d = torch.device(name)
    except RuntimeError:
        raise InputError(f"--device {name}: expected auto, cpu, cuda or cuda:N") from None
    if d.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"--device {name}: no CUDA device here")
    return d


def run(a: argparse.Namespace, rep: Reporter) -> None:
    import numpy as np
    import torch

    from .codes_file import write_codes
    from .job import load_job
    from .model import build_quant_model
    from .recon import LearnSettings, reconstruct

    t0 = time.monotonic()
    torch.use_deterministic_algorithms(True, warn_only=True)
    if a.threads:
        torch.set_num_threads(a.threads)
    job = load_job(a.job)
    device = _device(a.device)
    count = len(job.images) if a.count == 0 else min(a.count, len(job.images))
    qdrop = a.qdrop if job.plan["activations"] else 0.0
    s = LearnSettings(
        iters=a.iters,
        batch=a.batch,
        lr=a.lr,
        qdrop=qdrop,
        seed=a.seed,
        device=device,
        loss=a.loss,
        projections=a.projections,
    )
    qm = build_quant_model(job.float_onnx, job.plan, job.activations)
    qm.gm.to(device)
    for p in qm.gm.parameters():
        p.requires_grad_(False)
    for w in qm.weights.values():
        w.v.requires_grad_(True)
    records = reconstruct(qm, job.blocks, job.images, count, s, rep.progress, job.output)
    codes = {}
    for d in job.plan["weights"]:
        w = qm.weights[d["node"]]
        codes[d["node"]] = w.codes().detach().cpu().numpy().astype(np.int8)
    codes_path = os.path.join(a.job, "codes.safetensors")
    write_codes(codes_path, codes)
    result = {
        "version": 1,
        "iterations": a.iters,
        "batch": a.batch,
        "images": count,
        "seed": a.seed,
        "qdrop": qdrop,
        "lr": a.lr,
        "loss": a.loss,
        "device": str(device),
        "blocks": records,
        "seconds": round(time.monotonic() - t0, 3),
    }
    result_path = os.path.join(a.job, "result.json")
    with open(f"{result_path}.tmp", "w", encoding="utf8") as f:
        json.dump(result, f, indent=1)
    os.replace(f"{result_path}.tmp", result_path)
    rep.result(onnx=os.path.abspath(job.float_onnx), codes=os.path.abspath(codes_path), result=os.path.abspath(result_path))


def main(argv: list[str] | None = None) -> int:
    rep = Reporter(sys.stdout)
    try:
        argv = sys.argv[1:] if argv is None else argv
        if any(x in ("-h", "--help") for x in argv):
            build_parser().print_help(sys.stderr)
            return 0
        a = build_parser().parse_args(argv)
        _check(a)
        logging.basicConfig(level=logging.INFO if a.verbose else logging.WARNING, stream=sys.stderr)
        # Libraries that print would corrupt the protocol stream: their stdout goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            run(a, rep)
        return 0
    except InputError as e:
        rep.error(str(e), kind="input")
        return 2
    except Exception as e:  # noqa: BLE001 - every failure becomes one protocol event
        traceback.print_exc(file=sys.stderr)
        rep.error(f"{type(e).__name__}: {e}", kind="internal")
        return 1
