"""``mnist5k-colour``: the 5,000 MNIST digits of ``mnist5k``, each drawn in a random foreground and background
colour (generated from the embedded digits; no download), for the likelihoods of colour images and the CNN
families on three channels.

    x_c = bg_c + (fg_c - bg_c) * g        g: the digit's grey level in [0, 1];  c = R, G, B

Per image, fg and bg are drawn from the 27 colours whose channels are 0, 0.5 or 1 (PALETTE), with a fixed seed (the
same data on every machine), and drawn again until they are at least MIN_CONTRAST apart, so that every digit can be
seen. Few distinct colours keep the picture a matter of shape and two colour choices: with colours anywhere in the
cube, z spent its first 80 nats on them and a CNN decoder over 32 levels a channel still drew blurs after 40 epochs.
The split and labels are mnist5k's.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import torch

from vae.data.dataset import Dataset
from vae.data.embedded import load_mnist5k

COLOUR_SEED = 2
MIN_CONTRAST = 0.6  # the least Euclidean distance in RGB between an image's foreground and background
PALETTE = np.array(np.meshgrid(*[[0.0, 0.5, 1.0]] * 3, indexing="ij")).reshape(3, -1).T  # (27, 3)


def colour_pairs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(foreground, background), each (n, 3) colours of PALETTE, at least MIN_CONTRAST apart."""

    def draw(k: int) -> np.ndarray:
        return PALETTE[rng.integers(len(PALETTE), size=k)]

    fg, bg = draw(n), draw(n)
    close = np.linalg.norm(fg - bg, axis=1) < MIN_CONTRAST
    while close.any():
        k = int(close.sum())
        fg[close], bg[close] = draw(k), draw(k)
        close = np.linalg.norm(fg - bg, axis=1) < MIN_CONTRAST
    return fg, bg


def paint(grey: torch.Tensor, fg: np.ndarray, bg: np.ndarray) -> torch.Tensor:
    """Grey images (N, 1, H, W) in [0, 1] drawn in colour: (N, 3, H, W), bg where the image is 0, fg where it is 1."""
    f = torch.from_numpy(fg.astype(np.float32))[:, :, None, None]
    b = torch.from_numpy(bg.astype(np.float32))[:, :, None, None]
    return (b + (f - b) * grey).contiguous()


@functools.cache
def load_mnist5k_colour() -> Dataset:
    """mnist5k in colour: 4,000 / 1,000 images (3, 28, 28), the train split painted first."""
    grey = load_mnist5k()
    rng = np.random.default_rng(COLOUR_SEED)
    train, test = colour_pairs(rng, len(grey.x_train)), colour_pairs(rng, len(grey.x_test))
    return replace(grey, name="mnist5k-colour", x_train=paint(grey.x_train, *train), x_test=paint(grey.x_test, *test))
