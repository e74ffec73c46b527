"""Block reconstruction: each block's weight rounding learned to match the float block's outputs, fed the
already-quantized model's inputs (BRECQ), with QDrop on its activation quantizers, then hard-rounded.

Per block: the quantized model's block inputs and the float model's block outputs on the calibration images (two
value stores, value_store.py, run in chunks of `chunk` images), learn V with Adam on batches drawn by a seeded generator, anneal AdaRound's
regulariser β from 20 to 2 after a 20% warm-up, round. A block whose hard loss got worse keeps the plan's codes.
The loss is the squared error of the block outputs, plain or (loss "output") weighted per element by the output
metric pulled back to the block (output_metric.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ..data import ImageSet
from ..events import InputError
from .graph_run import BlockGraph, block_graph, block_outputs, run_nodes
from .model import QuantModel
from .output_metric import output_fisher
from .value_store import ValueStore, take, to_device

BETA_START, BETA_END, WARMUP = 20.0, 2.0, 0.2


@dataclass
class LearnSettings:
    iters: int = 200
    batch: int = 4
    lr: float = 0.05
    reg: float = 0.01  # weight of the rounding regulariser (BRECQ's default)
    qdrop: float = 0.5
    seed: int = 0
    chunk: int = 8  # images per forward pass while caching
    loss: str = "mse"  # "mse": plain squared error of the block outputs; "output": weighted by the output metric
    projections: int = 4  # sign vectors per image estimating the output metric's pull-back (loss "output")
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))


def _targets(qm: QuantModel, bg: BlockGraph, cached: dict) -> list[torch.Tensor]:
    return [cached[n] if i is None else cached[n][i] for n, i in bg.outputs]


def _error(o: torch.Tensor, t: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
    """Per-image (weighted) squared error, [batch]."""
    e = (o - t).pow(2)
    if w is not None:
        e = e * w
    return e.flatten(1).sum(1)


def _evaluate(
    qm: QuantModel, bg: BlockGraph, inputs: dict, targets: list[torch.Tensor], weights: list, s: LearnSettings
) -> tuple[float, float]:
    """(the loss per image without the regulariser, plain SQNR in dB) with hard codes and no QDrop."""
    n = targets[0].shape[0]
    loss = err = sig = 0.0
    with torch.no_grad():
        for start in range(0, n, s.chunk):
            idx = torch.arange(start, min(n, start + s.chunk))
            env = run_nodes(qm.gm, bg.nodes, {k: to_device(take(v, idx), s.device) for k, v in inputs.items()})
            for o, t, w in zip(block_outputs(bg, env), targets, weights):
                t = t[idx].to(s.device).double()
                o = o.double()
                err += float((o - t).pow(2).sum())
                sig += float(t.pow(2).sum())
                loss += float(_error(o, t, None if w is None else w[idx].to(s.device).double()).sum())
    sqnr = 10 * math.log10(sig / err) if err > 0 else math.inf
    return loss / n, sqnr


def _beta(step: int, total: int) -> float | None:
    """β of the regulariser at `step`, or None during the warm-up (no regulariser)."""
    warm = int(WARMUP * total)
    if step < warm:
        return None
    rel = (step - warm) / max(1, total - warm)
    return BETA_END + (BETA_START - BETA_END) * max(0.0, 1 - rel)


def learn_block(
    qm: QuantModel,
    bg: BlockGraph,
    weights: list[str],
    inputs: dict,
    targets: list[torch.Tensor],
    loss_weights: list,
    s: LearnSettings,
    gen: torch.Generator,
    tick: Callable[[int, float], None],
) -> None:
    mods = [qm.weights[w] for w in weights]
    acts = [qm.gm.get_submodule(n.target) for n in bg.nodes if n.op == "call_module" and str(n.target).startswith("yoloq_act_")]
    for m in mods:
        m.mode = "soft"
    for a in acts:
        a.drop = s.qdrop
        a.train()
    opt = torch.optim.Adam([m.v for m in mods], lr=s.lr)
    n = targets[0].shape[0]
    every = max(1, s.iters // 20)
    for step in range(s.iters):
        idx = torch.randint(0, n, (min(s.batch, n),), generator=gen)
        env = run_nodes(qm.gm, bg.nodes, {k: to_device(take(v, idx), s.device) for k, v in inputs.items()})
        rec = sum(
            _error(o, t[idx].to(s.device), None if w is None else w[idx].to(s.device)).mean()
            for o, t, w in zip(block_outputs(bg, env), targets, loss_weights)
        )
        beta = _beta(step, s.iters)
        loss = rec if beta is None else rec + s.reg * sum(m.regulariser(beta) for m in mods)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (step + 1) % every == 0 or step + 1 == s.iters:
            tick(step + 1, float(rec.detach()))
    for m in mods:
        m.mode = "hard"
    for a in acts:
        a.drop = 0.0
        a.eval()


def _normalised(f: torch.Tensor) -> torch.Tensor:
    """Weights of mean 1 over all images and elements, so the regulariser keeps its balance against the loss."""
    mean = float(f.double().mean())
    return f / mean if mean > 0 else torch.ones_like(f)


def _loss_weights(qm: QuantModel, blocks: list[dict], images: ImageSet, count: int, layout: dict | None, s: LearnSettings, report) -> dict:
    """Per block output (node, index): its loss weights per image, or nothing for the plain squared error."""
    if s.loss == "mse" or s.iters == 0:
        return {}
    if layout is None:
        raise InputError('--loss output needs the job\'s output layout ("output" in blocks.json; `yoloq learn` writes it)')
    keys = list(dict.fromkeys(k for b in blocks for k in block_graph(qm, b).outputs))
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        report("output metric", done[0], count)

    f = output_fisher(qm, images, count, keys, layout, s.chunk, s.device, s.projections, s.seed, tick)
    return {k: _normalised(v) for k, v in f.items()}


def reconstruct(
    qm: QuantModel,
    blocks: list[dict],
    images: ImageSet,
    count: int,
    s: LearnSettings,
    report: Callable[..., None],
    layout: dict | None = None,
) -> list[dict]:
    """Learn every block in order; returns one record per block (loss and SQNR before/after, seconds, kept)."""
    torch.manual_seed(s.seed)
    gen = torch.Generator().manual_seed(s.seed)
    records = []
    total = len(blocks) * max(1, s.iters)
    weights_of = _loss_weights(qm, blocks, images, count, layout, s, report)
    # Inputs from the quantized model as learned so far, targets from the float model: each node runs once per mode.
    quantized = ValueStore(qm, images, count, True, s.chunk, s.device)
    reference = ValueStore(qm, images, count, False, s.chunk, s.device)
    for k, block in enumerate(blocks):
        t0 = time.monotonic()
        bg = block_graph(qm, block)
        inputs = quantized.get(bg.inputs)
        out_nodes = list(dict.fromkeys(n for n, _ in bg.outputs))
        targets = _targets(qm, bg, reference.get(out_nodes))
        # Outputs that are per-image float tensors are compared; shapes and other constants are not.
        keep = [i for i, t in enumerate(targets) if isinstance(t, torch.Tensor)]
        bg.outputs = [bg.outputs[i] for i in keep]
        targets = [targets[i] for i in keep]
        if not targets:
            # A graph with fixed batch-1 reshapes (YOLOX's head) mixes images in this block's outputs: keep the plan.
            records.append(
                {
                    "name": block["name"],
                    "weights": len(block["weights"]),
                    "kept": "plan",
                    "reason": "no per-image outputs",
                    "seconds": round(time.monotonic() - t0, 3),
                }
            )
            report("block", k + 1, len(blocks), block=block["name"])
            continue
        loss_weights = [weights_of.get(k) for k in bg.outputs]
        before = _evaluate(qm, bg, inputs, targets, loss_weights, s)
        start = {w: qm.weights[w].v.detach().clone() for w in block["weights"]}
        done = k * max(1, s.iters)

        def tick(step: int, loss: float, done: int = done, name: str = block["name"]) -> None:
            report("learn", done + step, total, loss=loss, block=name)

        if s.iters > 0:
            learn_block(qm, bg, block["weights"], inputs, targets, loss_weights, s, gen, tick)
        after = _evaluate(qm, bg, inputs, targets, loss_weights, s)
        kept = "learned"
        if after[0] > before[0]:
            with torch.no_grad():
                for w, v in start.items():
                    qm.weights[w].v.copy_(v)
            after, kept = before, "plan"
        changed = sum(int((qm.weights[w].v >= 0).ne(start[w] >= 0).sum()) for w in block["weights"])
        rec = {
            "name": block["name"],
            "weights": len(block["weights"]),
            "lossBefore": before[0],
            "lossAfter": after[0],
            "sqnrBefore": before[1],
            "sqnrAfter": after[1],
            "codesChanged": changed,
            "kept": kept,
            "seconds": round(time.monotonic() - t0, 3),
        }
        records.append(rec)
        report("block", k + 1, len(blocks), loss=after[0], block=block["name"], sqnrBefore=before[1], sqnrAfter=after[1])
    return records
