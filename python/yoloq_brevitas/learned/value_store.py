"""Block inputs and targets, each value computed once.

Block reconstruction needs, block after block, the quantized model's inputs of the block (earlier blocks already
learned) and the float model's outputs of the block, over every calibration image. Running the model up to each
block anew costs one forward per block and mode; a store per mode runs every node once instead, the quantized one
after the blocks upstream are learned, and keeps a value only while a node that reads it has not run yet.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx

from ..data import ImageSet
from .graph_run import run_nodes
from .model import QuantModel


class Shared:
    """A cached value that is the same for every image (a shape, a scalar): stored once, never indexed."""

    def __init__(self, value: Any) -> None:
        self.value = value


def to_device(v: Any, device: torch.device) -> Any:
    if isinstance(v, Shared):
        return to_device(v.value, device)
    if isinstance(v, torch.Tensor):
        return v.to(device)
    return type(v)(to_device(x, device) for x in v) if isinstance(v, (tuple, list)) else v


def take(v: Any, idx: torch.Tensor) -> Any:
    """The images `idx` of a stored value (a shared one whole)."""
    if isinstance(v, Shared):
        return v.value
    if isinstance(v, torch.Tensor):
        return v[idx]
    return type(v)(take(x, idx) for x in v)


def _cat(parts: list[Any], images: int) -> Any:
    first = parts[0]
    if isinstance(first, torch.Tensor):
        per_image = first.is_floating_point() and first.dim() >= 1 and first.shape[0] == images
        return torch.cat(parts, 0) if per_image else Shared(first)
    if isinstance(first, (tuple, list)):
        return type(first)(_cat([p[i] for p in parts], images) for i in range(len(first)))
    return Shared(first)


class ValueStore:
    """Values of fx nodes over the first `count` images in one mode: the quantized model or the float reference."""

    def __init__(self, qm: QuantModel, images: ImageSet, count: int, quantized: bool, chunk: int, device: torch.device) -> None:
        self.qm = qm
        self.images = images
        self.count = count
        self.quantized = quantized
        self.chunk = chunk
        self.device = device
        self.position = {n: i for i, n in enumerate(qm.gm.graph.nodes)}
        self.values: dict[fx.Node, Any] = {}
        self.ran: set[fx.Node] = set()

    def get(self, wanted: list[fx.Node]) -> dict[fx.Node, Any]:
        """The values of `wanted` (on the CPU), running whatever they depend on that has not run in this mode yet."""
        todo = self._missing(wanted)
        if todo:
            self._run(todo, set(wanted))
        out = {n: self.values[n] for n in wanted}
        self._free()
        return out

    def _missing(self, wanted: list[fx.Node]) -> list[fx.Node]:
        need: set[fx.Node] = set()
        stack = [n for n in wanted if n not in self.values]
        while stack:
            n = stack.pop()
            if n in need:
                continue
            need.add(n)
            stack.extend(a for a in n.all_input_nodes if a not in self.values)
        return sorted(need, key=self.position.__getitem__)

    def _pending_reader(self, n: fx.Node, running: set[fx.Node]) -> bool:
        return any(u.op != "output" and u not in running and u not in self.ran for u in n.users)

    def _run(self, todo: list[fx.Node], wanted: set[fx.Node]) -> None:
        running = set(todo)
        outside = list(dict.fromkeys(a for n in todo for a in n.all_input_nodes if a not in running))
        keep = [n for n in todo if n in wanted or self._pending_reader(n, running)]
        parts: dict[fx.Node, list] = {n: [] for n in keep}
        first = 0
        self.qm.set_quantized(self.quantized)
        try:
            with torch.no_grad():
                for start in range(0, self.count, self.chunk):
                    ids = list(range(start, min(self.count, start + self.chunk)))
                    first = first or len(ids)
                    idx = torch.tensor(ids)
                    env = {a: to_device(take(self.values[a], idx), self.device) for a in outside}
                    for n in todo:
                        if n.op == "placeholder":
                            env[n] = self.images.batch(ids).to(self.device)
                    run_nodes(self.qm.gm, [n for n in todo if n.op != "placeholder"], env)
                    for n in keep:
                        parts[n].append(to_device(env[n], torch.device("cpu")))
        finally:
            self.qm.set_quantized(True)
        for n in keep:
            self.values[n] = _cat(parts[n], first)
        self.ran |= running

    def _free(self) -> None:
        for n in [n for n in self.values if not self._pending_reader(n, set())]:
            del self.values[n]
