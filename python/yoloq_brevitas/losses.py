"""QAT objectives.

labels:  ultralytics' own detection loss (v8DetectionLoss, or E2ELoss for YOLOv10's two heads) on labelled
         images, for ultralytics sources;
distill: label-free distillation from the float teacher: its raw outputs (`output_distillation`) plus every
         quantized Conv's output (`feature_distillation`), on unlabelled images.
"""

from __future__ import annotations

import torch

from .topology import _output_tensors


def _channel_axis(t: torch.Tensor) -> int:
    """[B, N, C] with many anchors N and fewer channels C (YOLOX, YOLOv5): last axis; [B, C, N] (ultralytics): axis 1."""
    if t.dim() == 3:
        return 2 if t.shape[1] > t.shape[2] else 1
    return 1 if t.dim() > 1 else 0


def output_distillation(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """One output tensor. Channels whose teacher values all lie in [0, 1] are probabilities (objectness, class
    scores after a sigmoid): binary cross-entropy against the teacher's probability, minus the teacher's own entropy
    (zero at a match; its gradient on the logit is p_s − p_t, so saturated scores still learn). Other channels (box
    terms): squared error divided by the channel's teacher variance plus the mean variance of those channels."""
    t = t.detach()
    axis = _channel_axis(t)
    dims = [d for d in range(t.dim()) if d != axis]
    prob = (t.amin(dim=dims, keepdim=True) >= 0) & (t.amax(dim=dims, keepdim=True) <= 1)
    eps = 1e-6
    # Clamp the value for the logs but pass the gradient straight through, so a saturated score can recover. Box
    # channels never reach the logs: at pixel magnitudes (YOLOv10's x1..y2 up to the input size) s + (c − s) rounds
    # to 0 in float32, log(0) = −inf, and the masked-out entry's backward is 0·∞ = NaN in every weight.
    s_prob = torch.where(prob, s, torch.full_like(s, 0.5))
    sp, tp = s_prob + (s_prob.clamp(eps, 1 - eps) - s_prob).detach(), t.clamp(eps, 1 - eps)
    bce = -(tp * torch.log(sp) + (1 - tp) * torch.log(1 - sp)) + (tp * torch.log(tp) + (1 - tp) * torch.log(1 - tp))
    var = t.var(dim=dims, keepdim=True)
    reg_var = var[~prob].mean() if bool((~prob).any()) else var.mean()
    mse = (s - t) ** 2 / (var + reg_var).clamp_min(1e-8)
    n_prob = int(prob.sum())
    n_reg = prob.numel() - n_prob
    loss = s.new_zeros(())
    if n_prob:
        loss = loss + torch.where(prob, bce, torch.zeros_like(bce)).sum() / (bce.numel() / prob.numel() * n_prob)
    if n_reg:
        loss = loss + torch.where(prob, torch.zeros_like(mse), mse).sum() / (mse.numel() / prob.numel() * n_reg)
    return loss


def distillation_loss(student_out, teacher_out) -> torch.Tensor:
    """Mean of `output_distillation` over the model's output tensors (ultralytics' "feats" excluded)."""
    s_list, t_list = _output_tensors(student_out, []), _output_tensors(teacher_out, [])
    if len(s_list) != len(t_list) or not s_list:
        raise RuntimeError(f"student gives {len(s_list)} output tensors, teacher {len(t_list)}")
    return sum(output_distillation(s, t) for s, t in zip(s_list, t_list)) / len(s_list)


def feature_distillation(student: dict, teacher: dict) -> torch.Tensor:
    """Every quantized Conv's output against the float model's same Conv: squared error over the teacher's
    variance, averaged over layers. Dense gradients for every layer, which a few hundred images need."""
    losses = [((student[k] - t.detach()) ** 2).mean() / t.detach().var().clamp_min(1e-8) for k, t in teacher.items()]
    return torch.stack(losses).mean()


class FeatureTaps:
    """Forward hooks recording the outputs of named submodules during one forward pass."""

    def __init__(self, model: torch.nn.Module, names: list[str]) -> None:
        self.outputs: dict[str, torch.Tensor] = {}
        self._handles = [model.get_submodule(n).register_forward_hook(self._hook(n)) for n in names]

    def _hook(self, name: str):
        def hook(_module, _args, out):
            self.outputs[name] = out

        return hook

    def take(self) -> dict[str, torch.Tensor]:
        out, self.outputs = self.outputs, {}
        return out

    def close(self) -> None:
        for h in self._handles:
            h.remove()


def ultralytics_loss(model, batch: dict, preds) -> torch.Tensor:
    """Sum of ultralytics' weighted loss terms for one batch (its criterion already scales by batch size)."""
    if getattr(model, "criterion", None) is None:
        model.criterion = model.init_criterion()
    loss, _ = model.criterion(preds, batch)
    return loss.sum() / max(1, batch["img"].shape[0])
