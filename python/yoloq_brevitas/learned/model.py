"""The torch model of a job: the float graph through onnx2torch, with the plan's weights as LearnedRoundingConv
and its activation quantizers inserted where yoloq's exporters put Q/DQ (before the readers blocks.json lists).

Node labels map to modules one to one: the job's float.onnx names every node by its plan label, and onnx2torch
names each module by its node's name with "." written "/".
"""

from __future__ import annotations

from onnx2torch import convert
from torch import fx, nn

import onnx

from ..events import InputError
from .fakequant import ActivationQuant, LearnedRoundingConv


def module_name(label: str) -> str:
    """onnx2torch's module name for a default-domain node named `label`."""
    return label.replace(".", "/").lstrip("/")


def _conv_of(module: nn.Module, label: str) -> tuple[nn.Module, str | None, nn.Conv2d]:
    """The Conv2d a converted Conv node holds: the module itself, or inside onnx2torch's (pad, conv) Sequential."""
    if isinstance(module, nn.Conv2d):
        return module, None, module
    if isinstance(module, nn.Sequential):
        for name, child in module.named_children():
            if isinstance(child, nn.Conv2d):
                return module, name, child
    raise InputError(f"{label}: onnx2torch made {type(module).__name__}, not a 2-D Conv")


class QuantModel:
    """The fx GraphModule plus handles on its quantizers: `weights` by node label, `acts` by value name."""

    def __init__(self, gm: fx.GraphModule, weights: dict[str, LearnedRoundingConv], acts: dict[str, ActivationQuant]) -> None:
        self.gm = gm
        self.weights = weights
        self.acts = acts

    def set_quantized(self, on: bool) -> None:
        """Quantized (hard codes, activation quantizers on) or the float reference."""
        for w in self.weights.values():
            w.mode = "hard" if on else "float"
        for a in self.acts.values():
            a.enabled = on


def insert_before_readers(gm: fx.GraphModule, value: str, readers: list[str], module: nn.Module, index: int) -> None:
    """`module` on ONNX value `value`, read by exactly `readers` (node labels; where yoloq's exporters put the
    Q/DQ pair), its other readers left on the float value."""
    name = f"yoloq_act_{index}"
    gm.add_module(name, module)
    wanted = {module_name(r) for r in readers}
    inserted: fx.Node | None = None
    for node in list(gm.graph.nodes):
        if node.op != "call_module" or node.target not in wanted:
            continue
        mapping = gm.get_submodule(node.target).onnx_mapping
        args = list(node.args)
        for i, (v, arg) in enumerate(zip(mapping.inputs, node.args)):
            if v != value or not isinstance(arg, fx.Node):
                continue
            if inserted is None:
                with gm.graph.inserting_after(arg):
                    inserted = gm.graph.call_module(name, (arg,))
            args[i] = inserted
        node.args = tuple(args)
    if inserted is None:
        raise InputError(f"activation {value}: none of its readers {readers} read it in the converted model")


def _insert_activation(gm: fx.GraphModule, decision: dict, readers: list[str], index: int) -> ActivationQuant:
    aq = ActivationQuant(decision)
    insert_before_readers(gm, decision["value"], readers, aq, index)
    return aq


def build_quant_model(float_onnx: str, plan: dict, activations: list[dict]) -> QuantModel:
    """The job's model with every plan weight and activation quantizer in place (hard codes = the plan's)."""
    proto = onnx.load(float_onnx)
    gm = convert(proto, attach_onnx_mapping=True)
    weights: dict[str, LearnedRoundingConv] = {}
    for d in plan["weights"]:
        name = module_name(d["node"])
        try:
            module = gm.get_submodule(name)
        except AttributeError:
            raise InputError(f"the converted model has no module for plan node {d['node']}") from None
        holder, child, conv = _conv_of(module, d["node"])
        lr = LearnedRoundingConv(conv, d)
        lr.onnx_mapping = module.onnx_mapping  # activation insertion reads the node's inputs from it
        if child is None:
            _set_submodule(gm, name, lr)
        else:
            setattr(holder, child, lr)
        weights[d["node"]] = lr
    by_value = {a["value"]: a for a in plan["activations"]}
    acts: dict[str, ActivationQuant] = {}
    for i, a in enumerate(activations):
        acts[a["value"]] = _insert_activation(gm, by_value[a["value"]], a["readers"], i)
    gm.graph.lint()
    gm.recompile()
    gm.eval()
    return QuantModel(gm, weights, acts)


def _set_submodule(root: nn.Module, name: str, module: nn.Module) -> None:
    # onnx2torch module names hold no "." (it writes them "/"), so they are direct children of the root.
    setattr(root, name, module)
