"""One run of the stage: load → fold BN → topology → surgery → PTQ → QAT → export, reporting each stage.

Under torchrun (distributed.py) every rank runs all of it up to the end of QAT: the PTQ initialisation runs on every
rank with the same images and is deterministic, and DistributedDataParallel's construction broadcasts rank 0's
parameters and buffers besides, so quantizer state is identical everywhere. Rank 0 alone writes checkpoints and
exports; the other ranks return None.
"""

from __future__ import annotations

import copy
import logging
import os
import random
import time

import numpy as np
import torch

from . import distributed, ptq
from .config import RunConfig
from .data import load_image_set, seeded_order
from .events import InputError, Reporter
from .export import export_model
from .fold import fold_batch_norms
from .qat import Ema, TrainState, load_checkpoint, make_optimizer, save_checkpoint, train
from .sources import load_source
from .surgery import apply_surgery, plan_layers, surgery_summary
from .topology import conv_topology

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available to this torch build")
    return torch.device(name)


def choose_loss(cfg: RunConfig, kind: str, has_labels: bool) -> str:
    if cfg.loss == "labels":
        if kind != "ultralytics":
            raise InputError("label-based QAT uses ultralytics' loss: the source must be an ultralytics model (.pt or .yaml)")
        if not has_labels:
            raise InputError("label-based QAT needs labels (the data folder has no labels.json)")
        return "labels"
    if cfg.loss == "distill":
        return "distill"
    return "labels" if kind == "ultralytics" and has_labels else "distill"


def _quantize(src, images, cfg: RunConfig, device, rep: Reporter, folded: int):
    """Read the topology of the BN-folded model and apply the surgery; returns (model on device, surgery summary)."""
    infos = conv_topology(src.model, images.batch([0]))
    decisions = plan_layers(infos, cfg.scheme, cfg.keep_first_last)
    apply_surgery(src.model, decisions, cfg.weight_scaling)
    summary = surgery_summary(decisions)
    rep.progress("surgery", 1, 1, foldedBatchNorms=folded, **{k: v for k, v in summary.items() if k != "decisions"})
    return src.model.to(device), summary


def _plan_digest(job: str) -> str:
    """SHA-256 of the job's plan.json: a checkpoint resumes only on the plan it started from."""
    import hashlib

    with open(os.path.join(job, "plan.json"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _from_plan(cfg: RunConfig, device, rep: Reporter):
    """The Brevitas model of the yoloq plan in the job folder (from_plan.py); returns (model on device, summary)."""
    from .from_plan import build_plan_model
    from .learned.job import load_job

    job = load_job(cfg.from_plan)
    pm = build_plan_model(job.float_onnx, job.plan, job.activations)
    rep.progress("surgery", 1, 1, **{k: v for k, v in pm.summary.items() if k != "decisions"})
    return pm.model.to(device), pm.summary


def _resumed(cfg, model, fingerprint, dist, progress):
    """The training state a checkpoint holds (a checkpoint for another run is bad input), reported as resumed."""
    try:
        state = load_checkpoint(cfg.checkpoint, model, cfg, fingerprint, dist)
    except ValueError as e:
        raise InputError(str(e)) from e
    progress("resume", state.step, cfg.steps)
    return state, True


def _initialise(model, images, cfg: RunConfig, device, rep: Reporter, fingerprint: dict, dist: distributed.Dist) -> tuple[TrainState, bool]:
    """PTQ initialisation, or the state of an interrupted run when resuming; returns (train state, resumed).
    Whether there is a checkpoint to resume from is rank 0's answer (only rank 0 writes them)."""
    progress = rep.progress
    found = bool(cfg.resume and cfg.checkpoint and dist.main and os.path.isfile(cfg.checkpoint))
    if cfg.resume and cfg.checkpoint and distributed.broadcast_flag(found, dist):
        if cfg.from_plan:  # every quantizer already holds its plan values: nothing to initialise lazily
            return _resumed(cfg, model, fingerprint, dist, progress)
        # The PTQ result is inside the checkpoint; one calibration pass initialises lazy quantizer state first, and
        # the biases bias correction would have added exist before the state is loaded.
        ptq.calibrate(model, images, [0], device, lambda *a, **k: None)
        if "bias-correction" in cfg.ptq:
            ptq.add_missing_biases(model)
        return _resumed(cfg, model, fingerprint, dist, progress)
    if cfg.from_plan:  # the plan is the initialisation
        return TrainState(0, make_optimizer(model, cfg), Ema(model, cfg.ema_decay)), False
    calib = seeded_order(len(images), min(cfg.calib_count, len(images)), cfg.seed + 1)
    steps = {
        "calibrate": lambda: ptq.calibrate(model, images, calib, device, progress),
        "gptq": lambda: ptq.gptq(model, images, calib[: min(cfg.gptq_count, len(calib))], device, progress),
        "bias-correction": lambda: ptq.bias_correction(model, images, calib, device, progress),
    }
    if "calibrate" not in cfg.ptq:  # quantizers still need their ranges before anything else runs
        ptq.calibrate(model, images, calib[:1], device, progress)
    for name in cfg.ptq:
        steps[name]()
    return TrainState(0, make_optimizer(model, cfg), Ema(model, cfg.ema_decay)), False


def run(cfg: RunConfig, rep: Reporter, dist: distributed.Dist = distributed.SINGLE) -> dict | None:
    """The whole stage; returns the fields of the result event (None on ranks other than 0)."""
    t0 = time.monotonic()
    seed_everything(cfg.seed)
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    if not dist.active:
        return _run(cfg, rep, dist, pick_device(cfg.device), t0)
    device = distributed.pick_device(dist, cfg.device)
    dist = distributed.start(dist, device)
    # Not in a `finally`: a failing rank keeps its connections until it has recorded its error and exits, so its
    # peers fail after it and launch.py names it as the first failure.
    result = _run(cfg, rep, dist, device, t0)
    distributed.stop(dist)
    return result


def _run(cfg: RunConfig, rep: Reporter, dist: distributed.Dist, device: torch.device, t0: float) -> dict | None:
    images = load_image_set(cfg.data)
    src = load_source(cfg.model)
    if src.input_hw and src.input_hw != images.hw:
        raise InputError(
            f"{cfg.model} takes {src.input_hw[1]}x{src.input_hw[0]} inputs, the data folder holds {images.hw[1]}x{images.hw[0]}"
        )
    rep.progress("load", 1, 1, source=src.description, family=src.family, images=len(images))
    loss_kind = choose_loss(cfg, src.kind, images.labels is not None)
    if cfg.from_plan:
        # The plan was made on this float graph as it is (BN included), so nothing is folded; src.model is the
        # float model and becomes the teacher.
        model, summary = _from_plan(cfg, device, rep)
        teacher = src.model.eval().to(device).requires_grad_(False) if cfg.steps > 0 and loss_kind == "distill" else None
    else:
        folded = fold_batch_norms(src.model, src.kind)
        teacher = None
        if cfg.steps > 0 and loss_kind == "distill":  # the float model, BN folded, as the distillation target
            teacher = copy.deepcopy(src.model).eval().to(device).requires_grad_(False)
        model, summary = _quantize(src, images, cfg, device, rep, folded)
    fingerprint = {
        "model": os.path.basename(cfg.model),
        "scheme": cfg.scheme.name,
        "steps": cfg.steps,
        "batch": cfg.batch,
        "seed": cfg.seed,
        "weightScaling": cfg.weight_scaling,
        "loss": loss_kind,
        "ptq": list(cfg.ptq),
        **({"fromPlan": _plan_digest(cfg.from_plan)} if cfg.from_plan else {}),
    }
    state, resumed = _initialise(model, images, cfg, device, rep, fingerprint, dist)
    train_stats = None
    if cfg.steps > 0:
        write = cfg.checkpoint and dist.main
        ckpt_fn = (lambda s: save_checkpoint(cfg.checkpoint, model, s, fingerprint)) if write else None
        layers = [d["name"] for d in summary["decisions"]]
        train_stats = train(model, teacher, images, cfg, loss_kind, device, state, rep.progress, ckpt_fn, layers, dist)
    if not dist.main:
        return None
    rep.progress("export", 0, 1)
    exported = export_model(model, src, images.batch([0]), cfg.output)
    rep.progress("export", 1, 1)
    return {
        "onnx": os.path.abspath(cfg.output),
        "source": src.description,
        "kind": src.kind,
        "family": src.family,
        "scheme": cfg.scheme.name,
        "weightScaling": cfg.weight_scaling,
        "ptq": list(cfg.ptq),
        **({"fromPlan": True, "scheme": summary["scheme"]} if cfg.from_plan else {}),
        "qat": train_stats,
        "resumed": resumed,
        "device": str(device),
        "torch": torch.__version__,
        "seconds": time.monotonic() - t0,
        "inputHw": list(images.hw),
        **exported,
        "surgery": summary,
        **({"distributed": {"worldSize": dist.world, "backend": dist.backend}} if dist.active else {}),
    }
