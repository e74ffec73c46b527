"""Per-element weights for block outputs that measure an error by what it does to the detections.

A plain squared error over a block's outputs treats every channel and position alike. A detector's output is not
like that: a box offset matters where the float model finds an object and hardly anywhere else (thousands of
background anchors), and the same offset error moves a small box's IoU far more than a large one's. So the model's
output gets a diagonal metric W (layout from the job's `output`, written by yoloq's family adapter):

- box channels of anchor a: s_a / size², s_a the float model's score there (objectness × best class, or best class),
  the size that channel's box side (width for x, height for y; YOLOX's log sizes are relative already, so s_a);
- objectness and class-score channels: 1 (they are probabilities; a background score that rises is a false positive).

That metric is pulled back to every block output z as the diagonal of JᵀWJ (J = ∂output/∂z at the float model):
BRECQ's Fisher-weighted block loss with this label-free output metric in place of a task loss. The diagonal comes
from random sign projections: for v with independent ±1 entries, E[(∂(vᵀ√W·f)/∂z)²] = diag(JᵀWJ).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx

from ..data import ImageSet
from .graph_run import run_nodes
from .model import QuantModel

Key = tuple[fx.Node, "int | None"]


def output_metric(out: torch.Tensor, layout: dict) -> torch.Tensor:
    """W for a batch of model outputs `out` ([B, anchors, values] or [B, values, anchors], per layout)."""
    x = out.detach().float()
    cols = layout["anchorAxis"] == 2
    if cols:
        x = x.transpose(1, 2)
    s0, s1 = layout["scores"]
    obj = layout.get("objectness")
    score = x[..., s0:s1].amax(-1)
    if obj is not None:
        score = score * x[..., obj]
    score = score.clamp_min(0)
    w = torch.zeros_like(x)
    w[..., s0:s1] = 1.0
    if obj is not None:
        w[..., obj] = 1.0
    b = layout["box"]["offset"]
    enc = layout["box"]["encoding"]
    if enc == "cxcywh":
        bw, bh = x[..., b + 2].clamp_min(1.0), x[..., b + 3].clamp_min(1.0)
        side = [bw, bh, bw, bh]
    elif enc == "xyxy":
        bw = (x[..., b + 2] - x[..., b]).clamp_min(1.0)
        bh = (x[..., b + 3] - x[..., b + 1]).clamp_min(1.0)
        side = [bw, bh, bw, bh]
    elif enc == "yolox-grid":
        # x, y offsets in grid cells against sizes exp(log size) in cells (floored at 1/8 cell, a pixel at stride 8);
        # log sizes: their error is the relative size error itself.
        bw, bh = x[..., b + 2].exp().clamp_min(0.125), x[..., b + 3].exp().clamp_min(0.125)
        one = torch.ones_like(bw)
        side = [bw, bh, one, one]
    else:
        raise ValueError(f"unknown box encoding {enc}")
    for c, size in enumerate(side):
        w[..., b + c] = score / size.pow(2)
    return w.transpose(1, 2) if cols else w


def _output_node(gm: fx.GraphModule) -> fx.Node:
    out = next(n for n in gm.graph.nodes if n.op == "output")
    first = out.args[0]
    while isinstance(first, (tuple, list)):
        first = first[0]
    return first


def _pick(env: dict, key: Key) -> torch.Tensor:
    n, i = key
    return env[n] if i is None else env[n][i]


def _differentiable(t: Any, images: int) -> bool:
    return isinstance(t, torch.Tensor) and t.is_floating_point() and t.requires_grad and t.dim() >= 1 and t.shape[0] == images


def output_fisher(
    qm: QuantModel,
    images: ImageSet,
    count: int,
    keys: list[Key],
    layout: dict,
    chunk: int,
    device: torch.device,
    projections: int,
    seed: int,
    tick: Any = None,
) -> dict[Key, torch.Tensor]:
    """diag(JᵀWJ) for every value in `keys`, per image ([count, ...] on the CPU), estimated with `projections` sign
    vectors per image. Values that are not per-image tensors on the input's path (shapes, constants) are left out;
    values that do not reach the output get zeros."""
    gm = qm.gm
    order = [n for n in gm.graph.nodes if n.op not in ("placeholder", "output")]
    placeholder = next(n for n in gm.graph.nodes if n.op == "placeholder")
    out_node = _output_node(gm)
    gen = torch.Generator().manual_seed(seed + 7919)
    parts: dict[Key, list[torch.Tensor]] = {k: [] for k in keys}
    qm.set_quantized(False)
    try:
        for start in range(0, count, chunk):
            ids = list(range(start, min(count, start + chunk)))
            x = images.batch(ids).to(device).requires_grad_(True)
            with torch.enable_grad():
                env = run_nodes(gm, order, {placeholder: x})
                out = env[out_node]
                live = [k for k in keys if _differentiable(_pick(env, k), len(ids))]
                tensors = [_pick(env, k) for k in live]
                sw = output_metric(out, layout).sqrt()
                acc = [torch.zeros_like(t, device="cpu") for t in tensors]
                for r in range(projections):
                    v = torch.randint(0, 2, out.shape, generator=gen).to(device=device, dtype=out.dtype) * 2 - 1
                    grads = torch.autograd.grad((out * sw * v).sum(), tensors, retain_graph=r + 1 < projections, allow_unused=True)
                    for a, g in zip(acc, grads):
                        if g is not None:
                            a += g.detach().cpu().pow(2) / projections
            for k, a in zip(live, acc):
                parts[k].append(a)
            del env, out, tensors
            if tick:
                tick(len(ids))
    finally:
        qm.set_quantized(True)
    return {k: torch.cat(p, 0) for k, p in parts.items() if p}
