"""Pixel handling: dynamic binarization and quantization into grey levels."""

from __future__ import annotations

import torch


def binarize(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Dynamic binarization: x_b ~ Bernoulli(x), a fresh draw at every call."""
    return torch.bernoulli(x, generator=generator)


def quantize(x: torch.Tensor, bins: int) -> torch.Tensor:
    """Grey levels in [0, 1] to integer levels 0..bins-1 (nearest level)."""
    return torch.round(x.clamp(0, 1) * (bins - 1)).long()
