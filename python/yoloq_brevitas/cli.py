"""Command line of the stage: ``python -m yoloq_brevitas --model M --data DIR -o out.onnx [options]``.

stdout carries only JSON lines (events.py); logs go to stderr. Exit codes: 0 done, 2 bad input (one error event
with kind "input"), 1 anything else (kind "internal").
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback

from . import distributed
from .config import PTQ_STEPS, SUPPORTED, RunConfig, scheme_for
from .events import InputError, Reporter


class _ArgParser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 itself; route the message through the protocol instead
        raise InputError(f"{message} (see: python -m yoloq_brevitas --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _ArgParser(prog="python -m yoloq_brevitas", description="Brevitas PTQ + QAT of a YOLO detector, exported as QCDQ ONNX.")
    p.add_argument("--model", help="ultralytics .pt or model YAML (e.g. yolov10m.yaml), YOLOv5 .pt, or FP32 .onnx")
    p.add_argument("--data", help="folder with images.npy + meta.json (+ labels.json), written by `yoloq qat`")
    p.add_argument("-o", "--output", required=True, help="QCDQ ONNX file to write")
    p.add_argument("--scheme", default="w4a8", help=f"{' or '.join(SUPPORTED)}: a row of the scheme table ($YOLOQ_SCHEMES)")
    p.add_argument("--weight-scaling", default="stats", choices=["stats", "mse"], help="init of the learned scales")
    p.add_argument("--ptq", help=f"comma list of {', '.join(PTQ_STEPS)}, or none (default: all; none with --from-plan)")
    p.add_argument("--calib-count", type=int, default=64)
    p.add_argument("--gptq-count", type=int, default=32)
    p.add_argument("--steps", type=int, default=0, help="QAT steps (0: PTQ only)")
    p.add_argument("--batch", type=int, default=4, help="global batch; under torchrun split evenly over the ranks")
    p.add_argument("--lr", type=float, default=1e-3, help="weights and biases, relative to each tensor's mean magnitude")
    p.add_argument("--scale-lr", type=float, default=1e-3, help="quantizer scales, relative to each one's magnitude")
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--loss", default="auto", choices=["auto", "labels", "distill"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-keep-first-last", action="store_true", help="stem and prediction Convs at 4 bits too")
    p.add_argument("--checkpoint", help="checkpoint file, written every --checkpoint-every steps")
    p.add_argument("--checkpoint-every", type=int, default=50)
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint when it exists")
    p.add_argument("--stop-after", type=int, help="stop after this many steps (checkpointed), to train in chunks")
    p.add_argument(
        "--from-plan",
        metavar="JOB",
        help="job folder written by `yoloq qat --from-plan` (float.onnx, plan.json, blocks.json, images): build the "
        "Brevitas model from the yoloq plan in it (no surgery, no PTQ); it is also the model and the data",
    )
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:N")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def parse_config(argv: list[str]) -> tuple[RunConfig, bool]:
    a = build_parser().parse_args(argv)
    scheme = scheme_for(a.scheme)
    if a.ptq is None:
        a.ptq = "none" if a.from_plan is not None else ",".join(PTQ_STEPS)
    ptq = tuple(s for s in a.ptq.split(",") if s and s != "none")
    bad = [s for s in ptq if s not in PTQ_STEPS]
    if bad:
        raise InputError(f"--ptq {a.ptq}: unknown step {bad[0]} (expected {', '.join(PTQ_STEPS)} or none)")
    for name in ("calib_count", "gptq_count", "batch", "checkpoint_every"):
        if getattr(a, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be ≥ 1")
    if a.steps < 0 or a.lr <= 0 or a.scale_lr <= 0 or not (0 <= a.ema_decay < 1):
        raise InputError("--steps must be ≥ 0, --lr and --scale-lr > 0, --ema-decay in [0, 1)")
    if (a.resume or a.stop_after is not None) and not a.checkpoint:
        raise InputError("--resume and --stop-after need --checkpoint")
    if a.stop_after is not None and a.stop_after < 1:
        raise InputError("--stop-after must be ≥ 1")
    if a.from_plan is not None:
        if not os.path.isdir(a.from_plan):
            raise InputError(f"--from-plan {a.from_plan}: no such folder")
        if ptq:
            raise InputError(f"--from-plan: the plan is the initialisation; --ptq {a.ptq} cannot run on it (use --ptq none)")
        if a.model or a.data:
            raise InputError("--from-plan: the job folder is the model and the data; drop --model and --data")
        a.model, a.data = os.path.join(a.from_plan, "float.onnx"), a.from_plan
    elif not a.model or not a.data:
        raise InputError("--model and --data are required (or --from-plan JOB)")
    distributed.check_config(distributed.from_environment(), a.batch, a.device)
    out_dir = os.path.dirname(os.path.abspath(a.output))
    if not os.path.isdir(out_dir):
        raise InputError(f"-o {a.output}: folder {out_dir} does not exist")
    cfg = RunConfig(
        model=a.model,
        data=a.data,
        output=a.output,
        scheme=scheme,
        weight_scaling=a.weight_scaling,
        ptq=ptq,
        calib_count=a.calib_count,
        gptq_count=a.gptq_count,
        steps=a.steps,
        batch=a.batch,
        lr=a.lr,
        scale_lr=a.scale_lr,
        ema_decay=a.ema_decay,
        loss=a.loss,
        seed=a.seed,
        keep_first_last=not a.no_keep_first_last,
        checkpoint=a.checkpoint,
        checkpoint_every=a.checkpoint_every,
        resume=a.resume,
        stop_after=a.stop_after,
        device=a.device,
        threads=a.threads,
        from_plan=a.from_plan,
    )
    return cfg, a.verbose


def _quiet_environment() -> None:
    os.environ.setdefault("YOLO_OFFLINE", "1")  # ultralytics: no update checks or downloads
    os.environ.setdefault("YOLO_VERBOSE", "False")
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)


class _Silent:
    """The event stream of ranks other than 0: the TS side reads one protocol stream, rank 0's."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    dist = distributed.from_environment()
    rep = Reporter(sys.stdout if dist.main else _Silent())
    prefix = f"[rank {dist.rank}] " if dist.active else ""
    try:
        if argv is None:
            argv = sys.argv[1:]
        if any(a in ("-h", "--help") for a in argv):
            build_parser().print_help(sys.stderr)
            return 0
        cfg, verbose = parse_config(argv)
        logging.basicConfig(
            level=logging.INFO if verbose else logging.WARNING,
            stream=sys.stderr,
            format=f"{prefix}%(levelname)s %(name)s: %(message)s",
        )
        _quiet_environment()
        from .pipeline import run

        with contextlib.redirect_stdout(sys.stderr):  # third-party prints must not corrupt the protocol
            result = run(cfg, rep, dist)
        if result is not None:
            rep.result(**result)
        return 0
    except InputError as e:
        _fail(rep, prefix, str(e), "input")
        return 2
    except Exception as e:  # noqa: BLE001 - reported through the protocol, traceback on stderr
        traceback.print_exc(file=sys.stderr)
        _fail(rep, prefix, f"{type(e).__name__}: {e}".splitlines()[0], "internal", traceback.format_exc())
        return 1


def _fail(rep: Reporter, prefix: str, message: str, kind: str, callstack: str = "") -> None:
    rep.error(message, kind=kind)
    if prefix:
        print(f"{prefix}error: {message}", file=sys.stderr, flush=True)
        distributed.record_failure(message, kind, callstack)
