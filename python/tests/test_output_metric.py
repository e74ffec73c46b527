"""The output metric of learned rounding's output-weighted loss: hand-computed weights per box encoding, and its
pull-back to an inner value against the exact diag(JᵀWJ) of a linear model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import fx, nn
from yoloq_brevitas.data import ImageSet
from yoloq_brevitas.learned.model import QuantModel
from yoloq_brevitas.learned.output_metric import output_fisher, output_metric

YOLOX = {"anchorAxis": 1, "box": {"offset": 0, "encoding": "yolox-grid"}, "objectness": 4, "scores": [5, None]}


def test_yolox_grid_weights_by_hand():
    # One anchor: log sizes ln 2 and ln 4 (2 x 4 cells), objectness 0.5, class scores 0.2 and 0.8 → score 0.4.
    out = torch.tensor([[[0.3, -0.1, np.log(2.0), np.log(4.0), 0.5, 0.2, 0.8]]], dtype=torch.float32)
    w = output_metric(out, YOLOX)[0, 0].tolist()
    assert w == pytest.approx([0.4 / 4, 0.4 / 16, 0.4, 0.4, 1, 1, 1], rel=1e-6)


def test_pixel_encodings_by_hand_and_channel_major_layout():
    # cxcywh, channels first ([1, values, anchors]), no objectness: anchor 0 is 10 x 20 px with best class 0.5;
    # anchor 1 is 0.5 px wide (floored at 1 px) with best class 0.25.
    out = torch.tensor([[[100, 50], [100, 50], [10, 0.5], [20, 2], [0.5, 0.1], [0.1, 0.25]]], dtype=torch.float32)
    layout = {"anchorAxis": 2, "box": {"offset": 0, "encoding": "cxcywh"}, "objectness": None, "scores": [4, None]}
    w = output_metric(out, layout)[0]
    assert w[:, 0].tolist() == pytest.approx([0.5 / 100, 0.5 / 400, 0.5 / 100, 0.5 / 400, 1, 1])
    assert w[:, 1].tolist() == pytest.approx([0.25, 0.25 / 4, 0.25, 0.25 / 4, 1, 1])
    # xyxy with one score column and a class column that carries no weight (YOLOv10's end-to-end rows).
    rows = torch.tensor([[[0, 0, 4, 8, 0.9, 3.0]]], dtype=torch.float32)
    v10 = {"anchorAxis": 1, "box": {"offset": 0, "encoding": "xyxy"}, "objectness": None, "scores": [4, 5]}
    assert output_metric(rows, v10)[0, 0].tolist() == pytest.approx([0.9 / 16, 0.9 / 64, 0.9 / 16, 0.9 / 64, 1, 0])


class _Linear(nn.Module):
    """z = A·x (an inner value), output = B·z as [batch, anchors, 7] rows with positive sizes and scores in (0, 1)."""

    def __init__(self) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(3)
        self.a = nn.Parameter(torch.randn(6, 12, generator=g) * 0.1, requires_grad=False)
        self.b = nn.Parameter(torch.randn(14, 6, generator=g) * 0.1, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x.flatten(1) @ self.a.t()
        y = z @ self.b.t()
        return y.reshape(-1, 2, 7) + torch.tensor([0.0, 0.0, 0.5, 0.7, 0.6, 0.3, 0.7])


def test_pull_back_matches_the_exact_diagonal():
    gm = fx.symbolic_trace(_Linear())
    qm = QuantModel(gm, {}, {})
    z = next(n for n in gm.graph.nodes if n.op == "call_function" and "matmul" in str(n.target))
    rng = np.random.default_rng(0)
    images = ImageSet(images=rng.integers(0, 255, (3, 3, 2, 2), dtype=np.uint8), pixel_scale=1 / 255, family=None, labels=None)
    got = output_fisher(qm, images, 3, [(z, None)], YOLOX, chunk=2, device=torch.device("cpu"), projections=4000, seed=0)
    for i in range(3):
        x = images.batch([i])
        with torch.no_grad():
            out = gm(x)
        w = output_metric(out, YOLOX).reshape(-1)  # 14 output values
        exact = (gm.b.t() ** 2 * w).sum(1)  # Σ_k W_k B_kz²
        np.testing.assert_allclose(got[(z, None)][i].numpy(), exact.numpy(), rtol=0.12)
