"""Real-valued series with known generative factors: the sequence counterpart of ``sprites``.

Each series is one period-shaped wave sampled at L = 64 steps, in [0, 1]:

    x_t = 0.5 + a * w(2 pi f t / L + phi) + noise,   t = 0 .. L-1,   noise ~ N(0, 0.02^2)

with the waveform w one of sine, square, triangle and sawtooth (values in [-1, 1]), f cycles per
window, amplitude a and phase phi. Every combination of the factor values appears (as in
dSprites), so the disentanglement metrics (MIG, SAP, DCI, the FactorVAE score) have a ground
truth to score a model's latents against. Generated with numpy, no file, the same on every machine.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from vae.config.datasets import DATASETS
from vae.data.dataset import Dataset, fixed_split, held_out

LENGTH = 64  # steps of one series
NOISE = 0.02  # standard deviation of the noise added to every step
WAVE_SHAPES = ["sine", "square", "triangle", "sawtooth"]
WAVE_FACTORS = dict(  # name (declared in vae.config.datasets) -> its values
    zip(
        DATASETS["waves"].factors,
        (
            WAVE_SHAPES,
            [1.0, 1.5, 2.0, 2.5, 3.0],  # frequency: cycles in the window
            [0.15, 0.22, 0.29, 0.36, 0.43],  # amplitude
            [2 * np.pi * k / 8 for k in range(8)],  # phase
        ),
    )
)
WAVES_NUM = len(WAVE_SHAPES) * 5 * 5 * 8  # 800 combinations


def waveform(shape: str, angle: np.ndarray) -> np.ndarray:
    """The unit waveform at ``angle`` radians, values in [-1, 1]."""
    u = np.mod(angle / (2 * np.pi), 1.0)  # the fraction of a period
    if shape == "sine":
        return np.sin(angle)
    if shape == "square":
        return np.where(u < 0.5, 1.0, -1.0)
    if shape == "triangle":
        return 1.0 - 4.0 * np.abs(u - 0.5)
    return 2.0 * u - 1.0  # sawtooth


def make_waves(repeats: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Every combination of the factors ``repeats`` times (each with its own noise): (x (N, 1, L) float32 in
    [0, 1], factors (N, 4) int64 indices into WAVE_FACTORS' values)."""
    rng = np.random.default_rng(seed)
    t = np.arange(LENGTH)
    combos = list(itertools.product(*(range(len(v)) for v in WAVE_FACTORS.values()))) * repeats
    factors = np.asarray(combos, dtype=np.int64)
    x = np.empty((len(factors), 1, LENGTH), np.float32)
    shapes, freqs, amps, phases = WAVE_FACTORS.values()
    for i, (s, f, a, p) in enumerate(factors):
        wave = 0.5 + amps[a] * waveform(shapes[s], 2 * np.pi * freqs[f] * t / LENGTH + phases[p])
        x[i, 0] = np.clip(wave + rng.normal(0, NOISE, LENGTH), 0.0, 1.0)
    return x, factors


@functools.lru_cache(maxsize=2)
def waves_cached() -> Dataset:
    x, f = make_waves()
    return fixed_split(
        x,
        f[:, 0],
        held_out("waves", len(x)),
        factors=f,
        name="waves",
        classes=list(WAVE_SHAPES),
        factor_names=list(WAVE_FACTORS),
        factor_sizes=[len(v) for v in WAVE_FACTORS.values()],
    )
