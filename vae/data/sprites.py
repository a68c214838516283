"""Shapes with known generative factors, for the disentanglement metrics.

* ``sprites``   dSprites-like shapes generated with numpy (shape, scale, x, y...)
* ``dsprites``  DeepMind's dSprites, read from its .npz in the data folder
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from vae.config.datasets import DATASETS
from vae.data.dataset import SPLIT_SEED, Dataset, fixed_split, held_out, where
from vae.errors import DataError, shown_path
from vae.i18n import N_

SPRITE_SHAPES = ["square", "ellipse", "heart", "triangle"]
SPRITE_FACTORS = dict(zip(DATASETS["sprites"].factors, (len(SPRITE_SHAPES), 6, 10, 8, 8)))  # name -> its values


def _shape_masks(u: np.ndarray, v: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Inside-test in the shape's own frame (unit size), for each shape id."""
    inside = np.zeros(u.shape, dtype=bool)
    sq = shape == 0
    inside[sq] = np.maximum(np.abs(u[sq]), np.abs(v[sq])) <= 0.8
    el = shape == 1
    inside[el] = (u[el] / 1.0) ** 2 + (v[el] / 0.55) ** 2 <= 1.0
    he = shape == 2
    hx, hy = u[he] * 1.15, -v[he] * 1.15 + 0.25
    inside[he] = (hx**2 + hy**2 - 1) ** 3 - hx**2 * hy**3 <= 0
    tr = shape == 3
    a, b = u[tr], v[tr]  # equilateral triangle, circumradius 1
    inside[tr] = (b >= -0.5) & (np.sqrt(3) * a + b <= 1.0) & (-np.sqrt(3) * a + b <= 1.0)
    return inside


SPRITES_Y_SHARE = 0.45  # y's 8 positions span this share of x's range, about the image's centre


def make_sprites(num: int = 10_000, size: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Render ``num`` white shapes on black, ``size`` x ``size``.

    Factors (integer indices, drawn uniformly and independently from ``seed``):
    shape (square, ellipse, heart, triangle), scale (6 steps 0.5..1), rotation
    (10 steps over 0..2pi), x position (8 steps across the image) and y position (8
    steps over SPRITES_Y_SHARE of x's range). x and y play unequal roles on purpose:
    with equal ranges a rotation of the (x, y) plane costs the ELBO nothing, so a
    diagonal posterior had no reason to pick the axes (beta-TCVAE, 60 epochs: MIG of y
    0.35 with equal ranges, 0.84 with y's narrowed). Pixels are rendered with 2x2
    supersampling, so edges are grey. Returns images (num, 1, size, size) float32 and
    factors (num, 5) int64.
    """
    rng = np.random.RandomState(seed)
    f = np.stack([rng.randint(0, n, size=num) for n in SPRITE_FACTORS.values()], axis=1)
    return render_sprites(f, size), f.astype(np.int64)


def render_sprites(f: np.ndarray, size: int = 32) -> np.ndarray:
    """The images (num, 1, size, size) float32 of the factor indices ``f`` (num, 5): see :func:`make_sprites`."""
    num = len(f)
    scale = 0.5 + 0.5 * f[:, 1] / (SPRITE_FACTORS["scale"] - 1)
    angle = 2 * np.pi * f[:, 2] / SPRITE_FACTORS["rotation"]
    radius = 0.18 * size  # size of a shape at scale 1, in pixels
    margin = radius + 1
    span = size - 2 * margin
    cx = margin + span * f[:, 3] / (SPRITE_FACTORS["x"] - 1)
    cy = size / 2 + SPRITES_Y_SHARE * span * (f[:, 4] / (SPRITE_FACTORS["y"] - 1) - 0.5)
    ss = 2
    grid = (np.arange(size * ss) + 0.5) / ss
    gy, gx = np.meshgrid(grid, grid, indexing="ij")
    out = np.empty((num, 1, size, size), dtype=np.float32)
    chunk = 1000
    for s in range(0, num, chunk):
        e = min(num, s + chunk)
        dx = (gx[None] - cx[s:e, None, None]) / (radius * scale[s:e, None, None])
        dy = (gy[None] - cy[s:e, None, None]) / (radius * scale[s:e, None, None])
        c, si = np.cos(angle[s:e])[:, None, None], np.sin(angle[s:e])[:, None, None]
        u, v = c * dx + si * dy, -si * dx + c * dy
        shape = np.broadcast_to(f[s:e, 0, None, None], u.shape)
        m = _shape_masks(u, v, shape).astype(np.float32)
        out[s:e, 0] = m.reshape(e - s, size, ss, size, ss).mean(axis=(2, 4))
    return out


@functools.lru_cache(maxsize=4)
def sprites_cached(num: int, size: int) -> Dataset:
    x, f = make_sprites(num, size)
    return fixed_split(
        x,
        f[:, 0],
        held_out("sprites", num),
        factors=f,
        name="sprites",
        classes=SPRITE_SHAPES,
        factor_names=list(SPRITE_FACTORS),
        factor_sizes=list(SPRITE_FACTORS.values()),
    )


# -------------------------------------------------------------- dSprites
DSPRITES_FILE = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
DSPRITES_URL = "https://github.com/deepmind/dsprites-dataset"
DSPRITES_FACTORS = list(DATASETS["dsprites"].factors)
DSPRITES_SHAPES = ["square", "ellipse", "heart"]


@functools.lru_cache(maxsize=2)
def dsprites_cached(path_s: str, num: int) -> Dataset:
    """A random ``num`` of dSprites' 737,280 64x64 images (seed SPLIT_SEED), with the factor indices.

    The arrays ``imgs`` (N, 64, 64) uint8 and ``latents_classes`` (N, 6) are read with
    ``allow_pickle=False``; the file's pickled ``metadata`` entry is never touched.
    """
    path = Path(path_s)
    if not path.exists():
        raise DataError(
            N_(
                "dataset 'dsprites' needs DeepMind's {DSPRITES_FILE} in the data folder {parent}; download it from "
                "{DSPRITES_URL} and put it there (or pass --data-root FOLDER)"
            ),
            DSPRITES_FILE=DSPRITES_FILE,
            parent=where(path.parent),
            DSPRITES_URL=DSPRITES_URL,
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            imgs, classes = z["imgs"], z["latents_classes"]
    except (OSError, ValueError, KeyError) as e:
        raise DataError(
            N_("{path} is not a dSprites .npz with 'imgs' and 'latents_classes' arrays: {kind}: {value}"),
            path=shown_path(path),
            kind=type(e).__name__,
            value=str(e)[:120],
        ) from None
    if imgs.ndim != 3 or classes.ndim != 2 or len(imgs) != len(classes) or classes.shape[1] != len(DSPRITES_FACTORS):
        raise DataError(
            N_("{path}: expected imgs (N, H, W) and latents_classes (N, 6), got {shape} and {shape2}"),
            path=shown_path(path),
            shape=imgs.shape,
            shape2=classes.shape,
        )
    pick = np.sort(np.random.RandomState(SPLIT_SEED).choice(len(imgs), size=min(num, len(imgs)), replace=False))
    x = (imgs[pick][:, None] > 0).astype(np.float32)
    f = classes[pick].astype(np.int64)
    return fixed_split(
        x,
        f[:, 1],
        held_out("dsprites", len(pick)),
        factors=f,
        name="dsprites",
        classes=DSPRITES_SHAPES,
        factor_names=list(DSPRITES_FACTORS),
        factor_sizes=[1, 3, 6, 40, 32, 32],
    )
