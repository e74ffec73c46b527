"""Run settings as plain data: the scheme table and everything one run of the stage decides.

The scheme table is yoloq's one table, ``src/quant/schemes.json``, which the TypeScript side reads too. yoloq's runner
passes its path as ``$YOLOQ_SCHEMES``; run standalone, the stage reads the repository's copy
(``python/../src/quant/schemes.json``). Only the rows this stage implements (``SUPPORTED``) become ``SCHEMES``; asking
for another row is an input error that says so. The file is read when ``SCHEMES`` or ``load_schemes`` is used, never
at import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .events import InputError


@dataclass(frozen=True)
class Scheme:
    """A quantization scheme. ``act_bits`` None: activations stay float (weight-only)."""

    name: str
    weight_bits: int
    kept_weight_bits: int
    act_bits: int | None


#: The rows of the scheme table this stage implements.
SUPPORTED = ("w4a8", "w4a16")
#: Environment variable naming the scheme table; set by yoloq's runner (src/brevitas/venv.ts ``stageEnv``).
SCHEMES_ENV = "YOLOQ_SCHEMES"
_REPO_TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "quant", "schemes.json")
#: activations column of the table → activation bits (None: float).
_ACT_BITS = {"int8": 8, "float": None}


def schemes_path() -> str:
    """The scheme table: ``$YOLOQ_SCHEMES``, else the repository's ``src/quant/schemes.json``."""
    return os.environ.get(SCHEMES_ENV) or os.path.normpath(_REPO_TABLE)


def read_scheme_table(path: str | None = None) -> dict[str, dict]:
    """Every row of the table as it is in the JSON, by name; a missing or malformed file is an InputError."""
    path = path or schemes_path()
    try:
        with open(path, encoding="utf-8") as f:
            rows = json.load(f)["schemes"]
        return {row["name"]: row for row in rows}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(
            f"scheme table {path}: cannot read it ({type(e).__name__}: {e}); set ${SCHEMES_ENV} to yoloq's src/quant/schemes.json"
        ) from e


def _scheme(row: dict, path: str) -> Scheme:
    act = row.get("activations")
    if act not in _ACT_BITS or not isinstance(row.get("weightBits"), int) or not isinstance(row.get("keptWeightBits"), int):
        raise InputError(f"scheme table {path}: bad row {json.dumps(row)}")
    return Scheme(row["name"], row["weightBits"], row["keptWeightBits"], _ACT_BITS[act])


def load_schemes(path: str | None = None) -> Mapping[str, Scheme]:
    """The supported rows of the table as Schemes (read-only mapping, in ``SUPPORTED`` order)."""
    path = path or schemes_path()
    table = read_scheme_table(path)
    missing = [n for n in SUPPORTED if n not in table]
    if missing:
        raise InputError(f"scheme table {path}: no row for {', '.join(missing)}")
    return MappingProxyType({n: _scheme(table[n], path) for n in SUPPORTED})


def scheme_for(name: str, path: str | None = None) -> Scheme:
    """The scheme called ``name``; one not in the table, or in it but not implemented here, is an InputError."""
    path = path or schemes_path()
    table = read_scheme_table(path)
    if name not in table:
        raise InputError(f"--scheme {name}: no such scheme (the table has {', '.join(table)})")
    if name not in SUPPORTED:
        raise InputError(f"--scheme {name}: not supported by the Brevitas stage (it implements {', '.join(SUPPORTED)})")
    return _scheme(table[name], path)


def __getattr__(name: str):
    """``SCHEMES``: ``load_schemes()``, read on each use (no state kept at import)."""
    if name == "SCHEMES":
        return load_schemes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    #: A job folder of `yoloq qat --from-plan` (src/quant/learned/job.ts): the model is built from the yoloq plan in
    #: it (from_plan.py) instead of surgery + PTQ; `model` and `data` then name the job's float.onnx and the job.
    from_plan: str | None = None
    extra: dict = field(default_factory=dict)
