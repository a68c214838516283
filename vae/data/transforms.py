"""Pixel handling: dynamic binarization, quantization into grey levels, the model's value range, and a drawing
made into a model input."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from vae.config import DATA_RANGES
from vae.errors import DataError
from vae.i18n import N_


def binarize(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Dynamic binarization: x_b ~ Bernoulli(x), a fresh draw at every call."""
    return torch.bernoulli(x, generator=generator)


def quantize(x: torch.Tensor, bins: int) -> torch.Tensor:
    """Grey levels in [0, 1] to integer levels 0..bins-1 (nearest level)."""
    return torch.round(x.clamp(0, 1) * (bins - 1)).long()


def to_range(x: torch.Tensor, data_range: str) -> torch.Tensor:
    """Values in [0, 1] scaled to the model's range [lo, hi]: x' = lo + (hi - lo) x (``DATA_RANGES``)."""
    lo, hi = DATA_RANGES[data_range]
    return x if (lo, hi) == (0.0, 1.0) else lo + (hi - lo) * x


def from_range(x: torch.Tensor, data_range: str) -> torch.Tensor:
    """The inverse of :func:`to_range`: a model's values back in [0, 1], where pictures are drawn."""
    lo, hi = DATA_RANGES[data_range]
    return x if (lo, hi) == (0.0, 1.0) else (x - lo) / (hi - lo)


DRAWING_BOX = 20 / 28  # MNIST: each digit fits a 20 x 20 box, centred by its centre of mass in 28 x 28
INK = 0.1  # grey level above which a pixel counts as ink


def fit_drawing(grey: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """A drawing or picture (H0, W0) of ink in [0, 1] as a model input (C, H, W), the way MNIST was made.

    The ink's bounding box is scaled (keeping its aspect) to fit DRAWING_BOX of the side, then
    placed so that its centre of mass is the image's centre (LeCun et al. 1998). Grey drawings
    are repeated over the channels of a colour model. Refused: a drawing with no ink.
    """
    grey = np.clip(np.asarray(grey, dtype=np.float32), 0.0, 1.0)
    ys, xs = np.nonzero(grey > INK)
    if len(ys) == 0:
        raise DataError(N_("the drawing is empty: draw something (a digit, white on black), or upload a picture"))
    crop = grey[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    c, h, w = shape
    scale = DRAWING_BOX * min(h, w) / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))  # (width, height)
    small = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
    small = np.clip(small, 0.0, 1.0)
    total = small.sum()
    cy = (small.sum(1) * np.arange(small.shape[0])).sum() / total
    cx = (small.sum(0) * np.arange(small.shape[1])).sum() / total
    top = min(max(round((h - 1) / 2 - cy), 0), h - small.shape[0])
    left = min(max(round((w - 1) / 2 - cx), 0), w - small.shape[1])
    out = np.zeros((h, w), dtype=np.float32)
    out[top : top + small.shape[0], left : left + small.shape[1]] = small
    return np.repeat(out[None], c, axis=0)


def picture_to_ink(picture: Image.Image) -> np.ndarray:
    """An uploaded picture as ink in [0, 1] (H, W): grey levels, inverted when the background is light
    (dark ink on white paper becomes white ink on black, as in MNIST)."""
    grey = np.asarray(picture.convert("L"), dtype=np.float32) / 255.0
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return 1.0 - grey if np.median(border) > 0.5 else grey
