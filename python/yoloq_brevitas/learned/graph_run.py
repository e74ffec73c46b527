"""Running parts of the fx graph: a block's nodes given its input values.

A block (blocks.json) names node labels; here it becomes the fx nodes of those modules plus the helpers they read
that carry no computation of their own (initializer fetches, output picks of multi-output nodes) and the activation
quantizers in front of them, so QDrop and the quantizers a block's Convs see are learned through.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import getitem
from typing import Any

import torch
from torch import fx

from .model import QuantModel, module_name


@dataclass
class BlockGraph:
    nodes: list[fx.Node]  # in graph order
    inputs: list[fx.Node]  # values from outside the block, cached per image
    outputs: list[tuple[fx.Node, int | None]]  # (node, output index of a multi-output node), as blocks.json orders them


def _constant_nodes(gm: fx.GraphModule) -> set[fx.Node]:
    """Nodes whose value does not depend on the model input (Constant nodes, shapes, initializers)."""
    const: set[fx.Node] = set()
    for n in gm.graph.nodes:
        if n.op in ("call_module", "call_function", "call_method", "get_attr") and all(a in const for a in n.all_input_nodes):
            const.add(n)
    return const


def _is_helper(node: fx.Node, const: set[fx.Node]) -> bool:
    if node in const:
        return True
    if node.op == "call_function" and node.target is getitem:
        return True
    return node.op == "call_module" and str(node.target).startswith("yoloq_act_")


def block_graph(qm: QuantModel, block: dict) -> BlockGraph:
    gm = qm.gm
    targets = {module_name(label) for label in block["nodes"]}
    inside = {n for n in gm.graph.nodes if n.op == "call_module" and n.target in targets}
    const = _constant_nodes(gm)
    frontier = list(inside)
    while frontier:
        node = frontier.pop()
        for a in node.all_input_nodes:
            if a not in inside and _is_helper(a, const):
                inside.add(a)
                frontier.append(a)
    order = [n for n in gm.graph.nodes if n in inside]
    inputs: list[fx.Node] = []
    for n in order:
        for a in n.all_input_nodes:
            if a not in inside and a not in inputs:
                inputs.append(a)
    producers: dict[str, tuple[fx.Node, int | None]] = {}
    for n in order:
        if n.op == "call_module" and n.target in targets:
            outs = list(gm.get_submodule(n.target).onnx_mapping.outputs)
            for i, v in enumerate(outs):
                producers[v] = (n, None if len(outs) == 1 else i)
    outputs = [producers[v] for v in block["outputs"] if v in producers]
    return BlockGraph(nodes=order, inputs=inputs, outputs=outputs)


def _fetch(gm: fx.GraphModule, target: str) -> Any:
    return reduce(getattr, target.split("."), gm)


def run_nodes(gm: fx.GraphModule, nodes: list[fx.Node], env: dict[fx.Node, Any]) -> dict[fx.Node, Any]:
    """Execute `nodes` (graph order) with `env` holding every value they read from outside; returns env."""
    for n in nodes:
        args = fx.node.map_arg(n.args, lambda a: env[a])
        kwargs = fx.node.map_arg(n.kwargs, lambda a: env[a])
        if n.op == "call_module":
            env[n] = gm.get_submodule(n.target)(*args, **kwargs)
        elif n.op == "call_function":
            env[n] = n.target(*args, **kwargs)
        elif n.op == "call_method":
            env[n] = getattr(args[0], n.target)(*args[1:], **kwargs)
        elif n.op == "get_attr":
            env[n] = _fetch(gm, n.target)
        else:
            raise RuntimeError(f"unexpected fx node {n.op} in a block")
    return env


def block_outputs(bg: BlockGraph, env: dict[fx.Node, Any]) -> list[torch.Tensor]:
    return [env[n] if i is None else env[n][i] for n, i in bg.outputs]
