"""PTQ initialisation with Brevitas, before any training: activation calibration, GPTQ, bias correction.

Each step is a function of (model, images, indices) that streams progress; they run in the order given
(calibrate → gptq → bias-correction is Brevitas' own recommended order).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from brevitas.graph.calibrate import bias_correction_mode, calibration_mode
from brevitas.graph.gptq import gptq_mode

from .data import ImageSet

Progress = Callable[[str, int, int], None]


def _feed(model, images: ImageSet, indices, device, stage: str, progress: Progress) -> None:
    for k, i in enumerate(indices):
        model(images.batch([int(i)]).to(device))
        progress(stage, k + 1, len(indices))


@torch.no_grad()
def calibrate(model, images: ImageSet, indices, device, progress: Progress) -> None:
    """Activation ranges (and lazy weight-scale initialisation) with quantization off, then fixed as parameters."""
    model.eval()
    with calibration_mode(model):
        _feed(model, images, indices, device, "calibrate", progress)
    # Calibration runs with quantization off, so lazily initialised weight scales are set by one quantized pass.
    model(images.batch([int(indices[0])]).to(device))


@torch.no_grad()
def gptq(model, images: ImageSet, indices, device, progress: Progress) -> int:
    """GPTQ layer by layer (act_order), with the calibrated activation quantizers on. Returns the layers updated."""
    model.eval()
    with gptq_mode(model, use_quant_activations=True, act_order=True, create_weight_orig=False) as g:
        gm = g.model
        for layer in range(g.num_layers):
            for i in indices:
                gm(images.batch([int(i)]).to(device))
            g.update()
            progress("gptq", layer + 1, g.num_layers)
        return g.num_layers


@torch.no_grad()
def bias_correction(model, images: ImageSet, indices, device, progress: Progress) -> None:
    """Shift each quantized layer's bias by the mean output error against float, measured on `indices`."""
    model.eval()
    with bias_correction_mode(model):
        _feed(model, images, indices, device, "bias-correction", progress)


def add_missing_biases(model) -> int:
    """Give every quantized layer without a bias a zero one, as bias correction does (so a checkpoint loads)."""
    import brevitas.nn as qnn

    added = 0
    for m in model.modules():
        if isinstance(m, qnn.QuantConv2d) and m.bias is None:
            m.bias = torch.nn.Parameter(torch.zeros(m.out_channels, device=m.weight.device, dtype=m.weight.dtype))
            added += 1
    return added
