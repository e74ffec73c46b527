"""Where each Conv sits in the data flow, read from the autograd graph of one forward pass (works for any module:
fx graphs, ultralytics and YOLOv5 models alike).

  first: no quantizable Conv upstream of its input (the stem);
  last:  no quantizable Conv downstream on a path to a model output (the prediction layers);
  input_group: Convs that read the very same tensor share one activation quantizer, as the TS plan puts one
               Q/DQ pair on each value.

This matches yoloq's TS policy (src/quant/policy/targets.ts) on the exported graph, ultralytics' DFL Conv (a fixed
0..15 projection: box decoding) included: both sides leave it float, so the box-prediction Convs before it count as
prediction layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class ConvInfo:
    name: str
    module: nn.Conv2d
    first: bool
    last: bool
    input_group: int


def quantizable_convs(model: nn.Module) -> dict[str, nn.Conv2d]:
    """Every trainable 2-D Conv by qualified name (DFL's frozen projection excluded)."""
    return {n: m for n, m in model.named_modules() if type(m) is nn.Conv2d and m.weight.requires_grad}


def _output_tensors(out, acc: list[torch.Tensor]) -> list[torch.Tensor]:
    """Tensors of a model output, nested dicts/lists/tuples flattened; ultralytics' "feats" (neck maps) excluded."""
    if isinstance(out, torch.Tensor):
        acc.append(out)
    elif isinstance(out, dict):
        for k, v in out.items():
            if k != "feats":
                _output_tensors(v, acc)
    elif isinstance(out, (list, tuple)):
        for v in out:
            _output_tensors(v, acc)
    return acc


def _children(fn):
    return [f for f, _ in getattr(fn, "next_functions", ()) if f is not None]


def conv_topology(model: nn.Module, example: torch.Tensor) -> list[ConvInfo]:
    """One forward pass of `example` ([1, 3, H, W]) in eval mode; returns the quantizable Convs in call order."""
    convs = quantizable_convs(model)
    by_module = {id(m): n for n, m in convs.items()}
    order: list[str] = []
    inputs: dict[str, torch.Tensor] = {}
    out_fn: dict[object, str] = {}

    def hook(mod, args, out):
        name = by_module[id(mod)]
        if name not in inputs:
            order.append(name)
            inputs[name] = args[0]
            out_fn[out.grad_fn] = name

    handles = [m.register_forward_hook(hook) for m in convs.values()]
    was_training = model.training
    try:
        model.eval()
        with torch.enable_grad():
            x = example.detach().clone().requires_grad_(True)
            outputs = _output_tensors(model(x), [])
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)

    # last: walk back from the outputs, stopping at the first Conv on each path.
    last: set[str] = set()
    seen: set[int] = set()
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        if fn in out_fn:
            last.add(out_fn[fn])
            continue
        stack.extend(_children(fn))

    # first: a Conv whose input has no Conv among its ancestors (memoized, iterative post-order).
    has_conv: dict[int, bool] = {}

    def conv_above(root) -> bool:
        todo = [(root, False)]
        while todo:
            fn, expanded = todo.pop()
            if id(fn) in has_conv:
                continue
            kids = _children(fn)
            if not expanded:
                todo.append((fn, True))
                todo.extend((k, False) for k in kids if id(k) not in has_conv)
            else:
                has_conv[id(fn)] = any(k in out_fn or has_conv.get(id(k), False) for k in kids)
        return has_conv[id(root)]

    groups: dict[int, int] = {}
    infos = []
    for name in order:
        inp = inputs[name]
        first = inp.grad_fn is None or not (inp.grad_fn in out_fn or conv_above(inp.grad_fn))
        group = groups.setdefault(id(inp), len(groups))
        infos.append(ConvInfo(name, convs[name], first, name in last, group))
    return infos
