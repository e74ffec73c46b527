"""Batch-norm folding before quantization, so that each quantized weight is the one inference uses.

ultralytics / YOLOv5 modules are folded in place the way their own ``fuse()`` does (Conv+BN, RepConv, RepVGGDW),
except that the detection head keeps both of YOLOv10's branches (its one-to-many branch is needed by the training
loss and is dropped at export). onnx2torch graphs (torch.fx) have every Conv → BatchNorm pair folded.
"""

from __future__ import annotations

import logging

from torch import fx, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

log = logging.getLogger(__name__)


def _fold_ultralytics(model: nn.Module) -> int:
    from ultralytics.nn.modules import Conv, Conv2, DWConv, RepConv
    from ultralytics.nn.modules.block import RepVGGDW
    from ultralytics.utils.torch_utils import fuse_conv_and_bn

    folded = 0
    for m in model.modules():
        if isinstance(m, (Conv, Conv2, DWConv)) and hasattr(m, "bn"):
            if isinstance(m, Conv2):
                m.fuse_convs()
            m.conv = fuse_conv_and_bn(m.conv, m.bn)
            delattr(m, "bn")
            m.forward = m.forward_fuse
            folded += 1
        elif isinstance(m, RepConv) and hasattr(m, "conv1"):
            m.fuse_convs()
            m.forward = m.forward_fuse
            folded += 1
        elif isinstance(m, RepVGGDW) and hasattr(m, "conv1"):
            m.fuse()
            m.forward = m.forward_fuse
            folded += 1
    return folded


def _fold_yolov5(model: nn.Module) -> int:
    folded = 0
    for m in model.modules():
        if hasattr(m, "bn") and isinstance(getattr(m, "conv", None), nn.Conv2d) and hasattr(m, "forward_fuse"):
            m.conv = fuse_conv_bn_eval(m.conv.eval(), m.bn.eval())
            delattr(m, "bn")
            m.forward = m.forward_fuse
            folded += 1
    return folded


def _fold_fx(gm: fx.GraphModule) -> int:
    modules = dict(gm.named_modules())
    folded = 0
    for node in list(gm.graph.nodes):
        if node.op != "call_module" or not isinstance(modules.get(node.target), nn.BatchNorm2d):
            continue
        prev = node.args[0]
        if not (isinstance(prev, fx.Node) and prev.op == "call_module" and isinstance(modules.get(prev.target), nn.Conv2d)):
            continue
        if len(prev.users) != 1:
            continue
        conv, bn = modules[prev.target], modules[node.target]
        fused = fuse_conv_bn_eval(conv.eval(), bn.eval())
        parent, _, name = prev.target.rpartition(".")
        setattr(gm.get_submodule(parent) if parent else gm, name, fused)
        node.replace_all_uses_with(prev)
        gm.graph.erase_node(node)
        folded += 1
    if folded:
        gm.graph.eliminate_dead_code()
        gm.recompile()
        gm.delete_all_unused_submodules()
    return folded


def fold_batch_norms(model: nn.Module, kind: str) -> int:
    """Fold BN into the preceding Conv, in place. Returns how many were folded; warns about any BN left."""
    model.eval()
    if kind in ("ultralytics", "yolov5"):
        from .sources import mark_trainable

        n = _fold_ultralytics(model) if kind == "ultralytics" else _fold_yolov5(model)
        mark_trainable(model)  # ultralytics' fuse_conv_and_bn returns Convs with requires_grad off
    elif isinstance(model, fx.GraphModule):
        n = _fold_fx(model)
    else:
        n = 0
    left = sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if left:
        log.warning("%d batch-norm layers could not be folded; they stay float with frozen statistics", left)
    return n
