"""Quantization-aware training from the PTQ initialisation: low learning rate (scales and zero points get their
own, higher one), cosine decay, gradient clipping, an EMA of the weights (exported at the end), no batch-norm
statistics to update (BN was folded before surgery), resumable checkpoints, and a seeded batch order.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass

import torch
from torch import nn

from . import distributed
from .config import RunConfig
from .data import ImageSet, seeded_order
from .losses import FeatureTaps, distillation_loss, feature_distillation, ultralytics_loss

log = logging.getLogger(__name__)

QUANT_PARAM_MARKERS = ("scaling_impl", "zero_point_impl")


class Ema:
    """Exponential moving average of every floating-point entry of the state dict, with ultralytics' warm-up
    (decay · (1 − e^(−updates / tau))), so a short run follows the model closely."""

    def __init__(self, model: nn.Module, decay: float, tau: float = 200.0) -> None:
        self.decay, self.tau, self.updates = decay, tau, 0
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items() if v.dtype.is_floating_point}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        for k, v in model.state_dict().items():
            if k in self.shadow:
                self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)

    def copy_to(self, model: nn.Module) -> None:
        model.load_state_dict(self.shadow, strict=False)

    def state_dict(self) -> dict:
        return {"updates": self.updates, "shadow": self.shadow}

    def load_state_dict(self, state: dict) -> None:
        self.updates = state["updates"]
        self.shadow = state["shadow"]


@dataclass
class TrainState:
    step: int
    optimizer: torch.optim.Optimizer
    ema: Ema


def make_optimizer(model: nn.Module, cfg: RunConfig) -> torch.optim.Optimizer:
    """AdamW without weight decay, one group per parameter tensor with a learning rate relative to the tensor's
    initial mean magnitude: `lr` × mean|w| for weights and biases, `scale_lr` × mean|s| for quantizer scales and zero
    points. Adam moves every element by about its group's learning rate per step, and these tensors span six orders
    of magnitude (a stem Conv fed 0–255 pixels has weights near 1e-4; an activation range can be 150), so an absolute
    rate that suits one tensor wrecks another."""
    groups = []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        base = cfg.scale_lr if any(m in name for m in QUANT_PARAM_MARKERS) else cfg.lr
        lr = base * max(float(p.detach().abs().mean()), 1e-8)
        groups.append({"params": [p], "lr": lr, "base_lr": lr})
    return torch.optim.AdamW(groups, weight_decay=0.0)


def _set_lr(opt: torch.optim.Optimizer, cfg: RunConfig, step: int) -> float:
    """Cosine decay to 10% over the run."""
    f = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / max(1, cfg.steps)))
    for g in opt.param_groups:
        g["lr"] = g["base_lr"] * f
    return f


def save_checkpoint(path: str, model: nn.Module, state: TrainState, fingerprint: dict) -> None:
    tmp = path + ".tmp"
    torch.save(
        {
            "step": state.step,
            "model": model.state_dict(),
            "optimizer": state.optimizer.state_dict(),
            "ema": state.ema.state_dict(),
            "fingerprint": fingerprint,
        },
        tmp,
    )
    os.replace(tmp, path)


def load_checkpoint(
    path: str, model: nn.Module, cfg: RunConfig, fingerprint: dict, dist: distributed.Dist = distributed.SINGLE
) -> TrainState:
    """Restore the model, then build the optimizer on the restored parameters (Brevitas' state loading may replace
    quantizer Parameter objects, so an optimizer made before would update orphans) and restore its state. Under
    torchrun rank 0 reads the file and sends it to the others. The fingerprint holds the global batch, not the
    number of ranks, so a run may resume on another number of processes."""
    ckpt = distributed.load_from_rank0(path, dist)
    if ckpt.get("fingerprint") != fingerprint:
        raise ValueError(f"{path} was written by a different run (model, scheme or schedule differ): {ckpt.get('fingerprint')}")
    model.load_state_dict(ckpt["model"])
    state = TrainState(ckpt["step"], make_optimizer(model, cfg), Ema(model, cfg.ema_decay))
    state.optimizer.load_state_dict(ckpt["optimizer"])
    state.ema.load_state_dict(ckpt["ema"])
    return state


def train(
    model: nn.Module,
    teacher: nn.Module | None,
    images: ImageSet,
    cfg: RunConfig,
    loss_kind: str,
    device,
    state: TrainState,
    progress,
    checkpoint_fn=None,
    layers: list[str] | None = None,
    dist: distributed.Dist = distributed.SINGLE,
) -> dict:
    """Run QAT from `state.step` to cfg.steps. Returns loss statistics; the EMA weights are left in `model`.
    `layers`: the quantized Conv names, whose outputs distillation matches against the teacher's. Under torchrun
    each rank trains on its slice of every global batch (distributed.shard) through DistributedDataParallel, and the
    reported loss is the mean over the ranks."""
    taps = (FeatureTaps(model, layers), FeatureTaps(teacher, layers)) if (loss_kind == "distill" and layers) else None
    try:
        return _train(model, teacher, images, cfg, loss_kind, device, state, progress, checkpoint_fn, taps, dist)
    finally:
        if taps:
            taps[0].close()
            taps[1].close()


def _train(model, teacher, images, cfg, loss_kind, device, state, progress, checkpoint_fn, taps, dist) -> dict:
    order = seeded_order(len(images), cfg.steps * cfg.batch, cfg.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    first_loss = last_loss = None
    model.train()
    net = distributed.wrap(model, dist, device)
    if teacher is not None:
        teacher.train()  # same head output format as the student; BN is folded, so no statistics move
    end = cfg.steps if cfg.stop_after is None else min(cfg.steps, cfg.stop_after)
    while state.step < end:
        idx = distributed.shard(order[state.step * cfg.batch : (state.step + 1) * cfg.batch], dist)
        distributed.maybe_fail(dist, state.step + 1)
        torch.manual_seed(cfg.seed * 1_000_003 + state.step)  # per step, so a resumed run draws the same numbers
        lr_f = _set_lr(state.optimizer, cfg, state.step)
        if loss_kind == "labels":
            batch = {k: v.to(device) for k, v in images.ultralytics_batch(idx).items()}
            loss = ultralytics_loss(model, batch, net(batch["img"]))
        else:
            x = images.batch(idx).to(device)
            with torch.no_grad():
                target = teacher(x)
            loss = distillation_loss(net(x), target)
            if taps:
                loss = loss + feature_distillation(taps[0].take(), taps[1].take())
        mean_loss = distributed.mean_across(loss, dist)  # every rank sees the same value, so all stop together
        if not torch.isfinite(mean_loss):
            raise FloatingPointError(f"QAT step {state.step + 1}: loss is {mean_loss.item()}")
        state.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, 10.0)
        if not torch.isfinite(norm):  # a NaN gradient would turn every weight into NaN, found only at export
            raise FloatingPointError(f"QAT step {state.step + 1}: the gradient is not finite (loss {mean_loss.item()})")
        state.optimizer.step()
        state.ema.update(model)
        state.step += 1
        last_loss = float(mean_loss)
        first_loss = last_loss if first_loss is None else first_loss
        progress("qat", state.step, cfg.steps, loss=last_loss, lr=cfg.lr * lr_f)
        if checkpoint_fn and (state.step % cfg.checkpoint_every == 0 or state.step == end):
            checkpoint_fn(state)
    state.ema.copy_to(model)
    model.eval()
    return {"firstLoss": first_loss, "lastLoss": last_loss, "steps": state.step, "loss": loss_kind}
