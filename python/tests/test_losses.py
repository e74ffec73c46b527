"""Distillation objectives: zero at a match, positive otherwise, probability channels treated as probabilities."""

from __future__ import annotations

import torch
from yoloq_brevitas.losses import FeatureTaps, distillation_loss, feature_distillation, output_distillation


def _yolox_like(seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    box = torch.randn(2, 100, 4, generator=g) * 2
    prob = torch.rand(2, 100, 6, generator=g) ** 4
    return torch.cat([box, prob], -1)


def test_output_distillation_is_zero_at_a_match_and_grows_with_the_error():
    t = _yolox_like(0)
    assert output_distillation(t.clone(), t).abs() < 1e-5
    small = output_distillation(t + 0.01, t)
    big = output_distillation(t + 0.1, t)
    assert 0 < small < big


def test_saturated_probabilities_still_get_gradient():
    t = _yolox_like(1)
    s = t.clone()
    s[..., 4:] = 1e-7  # student scores collapsed to zero, as with a broken objectness
    s.requires_grad_(True)
    output_distillation(s, t).backward()
    assert s.grad[..., 4:].abs().sum() > 0


def test_nested_outputs_and_feature_taps():
    t = {"boxes": _yolox_like(2), "feats": [torch.ones(1)]}
    assert distillation_loss({"boxes": t["boxes"].clone(), "feats": [torch.zeros(1)]}, t).abs() < 1e-5
    conv = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.ReLU())
    taps = FeatureTaps(conv, ["0"])
    conv(torch.rand(1, 3, 4, 4))
    got = taps.take()
    taps.close()
    assert set(got) == {"0"} and feature_distillation(got, {"0": got["0"] + 1}) > 0


def test_pixel_sized_box_channels_give_a_finite_gradient():
    # YOLOv10's end-to-end output [B, 300, 6]: x1, y1, x2, y2 in pixels, a score, a class index. With box values near
    # 250 the straight-through clamp rounded to 0 and log(0) made every gradient NaN (the embedded default's QAT).
    g = torch.Generator().manual_seed(2)
    t = torch.cat(
        [torch.rand(2, 300, 4, generator=g) * 256, torch.rand(2, 300, 1, generator=g), torch.randint(0, 5, (2, 300, 1), generator=g)], -1
    )
    s = (t + torch.randn(t.shape, generator=g)).requires_grad_(True)
    loss = output_distillation(s, t)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(s.grad).all() and s.grad[..., :4].abs().sum() > 0
