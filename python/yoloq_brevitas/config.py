"""Run settings as plain data: the scheme table and everything one run of the stage decides."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Scheme:
    """A quantization scheme. ``act_bits`` None: activations stay float (weight-only)."""

    name: str
    weight_bits: int
    kept_weight_bits: int
    act_bits: int | None


SCHEMES = MappingProxyType({
    "w4a8": Scheme("w4a8", 4, 8, 8),
    "w4a16": Scheme("w4a16", 4, 8, None),
})

PTQ_STEPS = ("calibrate", "gptq", "bias-correction")


@dataclass
class RunConfig:
    """Everything one run needs. Paths are strings; the CLI validates them before building this."""

    model: str
    data: str
    output: str
    scheme: Scheme
    #: "stats" (abs-max init) or "mse" (MSE-optimal init) for the learned per-channel weight scales.
    weight_scaling: str = "stats"
    #: PTQ steps in the order they run; any subset of PTQ_STEPS.
    ptq: tuple[str, ...] = PTQ_STEPS
    calib_count: int = 64
    gptq_count: int = 32
    steps: int = 0
    batch: int = 4
    lr: float = 1e-3
    scale_lr: float = 1e-3
    ema_decay: float = 0.999
    #: "auto": label-based when labels and an ultralytics model are at hand, else distillation.
    loss: str = "auto"
    seed: int = 0
    keep_first_last: bool = True
    imgsz: int | None = None
    checkpoint: str | None = None
    checkpoint_every: int = 50
    resume: bool = False
    #: stop (checkpointing) after this many steps, to train in chunks; None: run to `steps`.
    stop_after: int | None = None
    device: str = "auto"
    threads: int = 0
    extra: dict = field(default_factory=dict)
