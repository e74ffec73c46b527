"""The image tensors yoloq's TypeScript side writes for this stage, so that preprocessing has one implementation.

A data folder holds:
  images.npy   uint8 [N, 3, H, W]: letterboxed images, channels already in the model's order (RGB or BGR), as
               the family's preprocessing leaves them before range scaling;
  meta.json    {"version": 1, "count": N, "height": H, "width": W, "pixelScale": 1/255 | 1, "channelOrder": "rgb"|"bgr",
                "family": "...", "files": [...]}: model input = images * pixelScale (float32);
  labels.json  optional: {"labels": [[[class, cx, cy, w, h], ...] per image]}, boxes normalized to the input size.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import torch

from .events import InputError


@dataclass
class ImageSet:
    images: np.ndarray  # uint8 [N, 3, H, W], memory-mapped
    pixel_scale: float
    family: str | None
    labels: list[np.ndarray] | None  # per image float32 [k, 5]: class, cx, cy, w, h (normalized)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def hw(self) -> tuple[int, int]:
        return int(self.images.shape[2]), int(self.images.shape[3])

    def batch(self, indices: list[int] | np.ndarray) -> torch.Tensor:
        """float32 [B, 3, H, W] model inputs for the given image indices."""
        arr = np.ascontiguousarray(self.images[np.asarray(indices)], dtype=np.float32)
        return torch.from_numpy(arr).mul_(self.pixel_scale)

    def ultralytics_batch(self, indices: list[int] | np.ndarray) -> dict[str, torch.Tensor]:
        """The batch dict ultralytics' detection losses read: img, batch_idx [n], cls [n, 1], bboxes [n, 4] (xywh, 0–1)."""
        assert self.labels is not None
        rows = [np.concatenate([np.full((len(self.labels[i]), 1), b, np.float32), self.labels[i]], 1) for b, i in enumerate(indices)]
        t = torch.from_numpy(np.concatenate(rows, 0) if rows else np.zeros((0, 6), np.float32))
        return {"img": self.batch(indices), "batch_idx": t[:, 0], "cls": t[:, 1:2], "bboxes": t[:, 2:6]}


def load_image_set(folder: str) -> ImageSet:
    """Read a data folder written by `yoloq qat`; InputError naming what is missing or malformed."""
    meta_path = os.path.join(folder, "meta.json")
    npy_path = os.path.join(folder, "images.npy")
    if not os.path.isfile(meta_path) or not os.path.isfile(npy_path):
        raise InputError(f"{folder}: expected images.npy and meta.json (written by `yoloq qat`)")
    with open(meta_path, encoding="utf8") as f:
        meta = json.load(f)
    images = np.load(npy_path, mmap_mode="r")
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1] != 3:
        raise InputError(f"{npy_path}: expected uint8 [N, 3, H, W], got {images.dtype} {list(images.shape)}")
    if images.shape[0] == 0:
        raise InputError(f"{npy_path}: no images")
    labels = None
    labels_path = os.path.join(folder, "labels.json")
    if os.path.isfile(labels_path):
        with open(labels_path, encoding="utf8") as f:
            raw = json.load(f)["labels"]
        if len(raw) != images.shape[0]:
            raise InputError(f"{labels_path}: {len(raw)} label lists for {images.shape[0]} images")
        labels = [np.asarray(x, dtype=np.float32).reshape(-1, 5) for x in raw]
    return ImageSet(images=images, pixel_scale=float(meta.get("pixelScale", 1.0)), family=meta.get("family"), labels=labels)


def seeded_order(n: int, count: int, seed: int) -> np.ndarray:
    """`count` indices into n items: a seeded permutation, repeated as needed (epochs), for reproducible batches."""
    rng = np.random.default_rng(seed)
    reps = -(-count // n)
    return np.concatenate([rng.permutation(n) for _ in range(reps)])[:count]
