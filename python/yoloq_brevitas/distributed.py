"""Data-parallel QAT on torch.distributed, for a stage started by torchrun (see launch.py and docs/scale.md).

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT in each worker's environment; a stage
started without them (WORLD_SIZE unset or 1) is the single-process stage, unchanged. Under torchrun every rank
loads the same model and data folder, runs the same deterministic PTQ initialisation, and trains on its slice of
each global batch; DistributedDataParallel averages the gradients, so every rank holds the same weights, optimizer
state and EMA. Only rank 0 reports progress, writes checkpoints and exports.
"""

from __future__ import annotations

import io
import json
import os
import signal
import time
from dataclasses import dataclass
from datetime import timedelta

import torch

from .events import InputError

#: Seconds a collective may wait for a peer before it fails (a hung rank must not hang the run forever).
TIMEOUT_ENV = "YOLOQ_DDP_TIMEOUT"
DEFAULT_TIMEOUT_S = 600
#: Test hook: "RANK:STEP:kill" or "RANK:STEP:raise" makes that rank die (SIGKILL) or raise before that QAT step.
FAULT_ENV = "YOLOQ_FAULT"


@dataclass(frozen=True)
class Dist:
    """Where this process stands in the run: rank 0 of 1 when not under torchrun."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


SINGLE = Dist()


def from_environment() -> Dist:
    """This process's rank and world size as torchrun sets them (no process group is started here)."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return SINGLE
    return Dist(rank=int(os.environ["RANK"]), world=world, local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def check_config(dist: Dist, batch: int, device: str) -> None:
    """What data-parallel training needs of the settings, checked before the process group starts."""
    if not dist.active:
        return
    if batch % dist.world:
        raise InputError(f"--batch {batch}: the global batch must be a multiple of the {dist.world} processes")
    if device.startswith("cuda:"):
        raise InputError(f"--device {device}: under torchrun each rank takes cuda:LOCAL_RANK; pass --device cuda or auto")


def pick_device(dist: Dist, name: str) -> torch.device:
    """The rank's device: cuda:LOCAL_RANK when CUDA is asked for (or auto and present), else the CPU."""
    use_cuda = name == "cuda" or (name == "auto" and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available to this torch build")
    if not use_cuda:
        return torch.device("cpu")
    if dist.local_rank >= torch.cuda.device_count():
        raise InputError(f"local rank {dist.local_rank}: this node has {torch.cuda.device_count()} CUDA devices")
    torch.cuda.set_device(dist.local_rank)
    return torch.device("cuda", dist.local_rank)


def start(dist: Dist, device: torch.device) -> Dist:
    """Join the process group (nccl on GPUs, gloo on the CPU) with a finite collective timeout."""
    backend = "nccl" if device.type == "cuda" else "gloo"
    timeout = float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_S)
    kwargs = {"device_id": device} if device.type == "cuda" else {}
    torch.distributed.init_process_group(backend=backend, timeout=timedelta(seconds=timeout), **kwargs)
    return Dist(dist.rank, dist.world, dist.local_rank, backend)


def stop(dist: Dist) -> None:
    if dist.active and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def shard(indices, dist: Dist):
    """This rank's contiguous slice of one global batch (its length a multiple of the world size)."""
    if not dist.active:
        return indices
    per = len(indices) // dist.world
    return indices[dist.rank * per : (dist.rank + 1) * per]


def mean_across(value: torch.Tensor, dist: Dist) -> torch.Tensor:
    """The mean of a scalar over the ranks (every rank gets it), detached."""
    v = value.detach().clone()
    if dist.active:
        torch.distributed.all_reduce(v)
        v /= dist.world
    return v


def broadcast_flag(flag: bool, dist: Dist) -> bool:
    """Rank 0's answer, on every rank (e.g. whether a checkpoint exists where only rank 0 looks)."""
    if not dist.active:
        return flag
    box = [flag]
    torch.distributed.broadcast_object_list(box, src=0)
    return bool(box[0])


def load_from_rank0(path: str, dist: Dist) -> dict:
    """A torch file read by rank 0 and sent to every rank, so other nodes need no shared filesystem."""
    if not dist.active:
        return torch.load(path, map_location="cpu", weights_only=False)
    box = [None]
    if dist.main:
        with open(path, "rb") as f:
            box[0] = f.read()
    torch.distributed.broadcast_object_list(box, src=0)
    return torch.load(io.BytesIO(box[0]), map_location="cpu", weights_only=False)


def wrap(model: torch.nn.Module, dist: Dist, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel around the model (its construction broadcasts rank 0's parameters and buffers)."""
    if not dist.active:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def maybe_fail(dist: Dist, step: int) -> None:
    """The YOLOQ_FAULT test hook (see FAULT_ENV); does nothing unless it names this rank and step."""
    spec = os.environ.get(FAULT_ENV)
    if not spec or not dist.active:
        return
    rank, at, how = spec.split(":")
    if int(rank) == dist.rank and int(at) == step:
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError(f"{FAULT_ENV}: injected failure at step {step}")


def record_failure(message: str, kind: str, callstack: str = "") -> None:
    """Leave this rank's last error where torchrun collects it ($TORCHELASTIC_ERROR_FILE, ErrorHandler's layout),
    with the protocol's error kind and a precise time, which launch.py reads to name the rank that failed first."""
    path = os.environ.get("TORCHELASTIC_ERROR_FILE")
    if not path:
        return
    now = time.time()
    data = {
        "message": {
            "message": message,
            "extraInfo": {"py_callstack": callstack, "timestamp": str(int(now)), "yoloqTime": now, "yoloqKind": kind},
        }
    }
    try:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)
    except OSError:
        pass  # the exit code still tells torchrun this rank failed
