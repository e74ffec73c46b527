"""ONNX sources exported at batch 1 train on batches: a Reshape folded to a constant batch of 1 (ultralytics'
attention `view(B, heads, C, N)` in the embedded YOLOv10 became [1, 1, 128, 64]) keeps the batch instead."""

from __future__ import annotations

import numpy as np
import torch

import onnx
from onnx import TensorProto, helper, numpy_helper


def _model(path: str) -> None:
    """images [1, 3, 4, 4] → Reshape to the constant [1, 3, 16] (batch folded in) → Add a [4, 4] weight reshaped to
    the constant [1, 16] (a leading 1 that is not a batch)."""
    w = numpy_helper.from_array(np.arange(16, dtype=np.float32).reshape(4, 4), "w")
    s1 = numpy_helper.from_array(np.array([1, 3, 16], np.int64), "s1")
    s2 = numpy_helper.from_array(np.array([1, 16], np.int64), "s2")
    nodes = [
        helper.make_node("Reshape", ["images", "s1"], ["flat"]),
        helper.make_node("Reshape", ["w", "s2"], ["wflat"]),
        helper.make_node("Add", ["flat", "wflat"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 16])],
        [w, s1, s2],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def test_a_constant_batch_1_reshape_keeps_the_batch_and_nothing_else_changes(tmp_path):
    from yoloq_brevitas.sources import free_batch_reshapes, load_onnx

    path = str(tmp_path / "b1.onnx")
    _model(path)
    proto = onnx.load(path)
    assert free_batch_reshapes(proto) == 1, "only the Reshape of the batch-1 activation"
    weight_shape = next(n for n in proto.graph.node if n.input[0] == "w").input[1]
    assert weight_shape == "s2"

    model = load_onnx(path).model
    x = torch.rand(2, 3, 4, 4)
    y = model(x)
    assert y.shape == (2, 3, 16)
    assert torch.equal(y, x.reshape(2, 3, 16) + torch.arange(16.0))
    assert torch.equal(model(x[:1]), y[:1]), "batch 1 as before"
