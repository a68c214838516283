"""Dropout's noise beside the VAE's own (vae/analysis/overfitting.py) and the sharpness of samples
(vae/analysis/symmetry.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.conftest import tiny_config
from vae.analysis.overfitting import has_dropout, noise_spread
from vae.analysis.symmetry import sharpness, symmetry_row
from vae.config import NetworkConfig
from vae.data import load_dataset
from vae.models.vae import VAE


def test_dropout_noise_is_measured_on_a_copy_and_zero_without_dropout():
    x = load_dataset(tiny_config().data).x_train
    with_dropout = VAE(tiny_config(encoder=NetworkConfig(hidden=[32], dropout=0.3)), (1, 8, 8)).eval()
    without = VAE(tiny_config(), (1, 8, 8)).eval()
    assert has_dropout(with_dropout) and not has_dropout(without)
    state = torch.random.get_rng_state()
    n = noise_spread(with_dropout, x, draws=5)
    assert torch.equal(state, torch.random.get_rng_state())  # the caller's RNG is untouched
    assert n["dropout"] > 0 and n["posterior"] > 0
    assert not with_dropout.training and not any(m.training for m in with_dropout.modules())
    assert noise_spread(without, x, draws=5)["dropout"] == 0
    assert noise_spread(with_dropout, x, draws=5) == n  # seeded


class Drawn(nn.Module):
    """A stand-in model whose prior samples are given pictures."""

    def __init__(self, pictures):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.pictures = pictures

    def sample_prior(self, n, generator=None):
        return self.pictures[:n]


def test_sharpness_is_the_samples_pixel_variance_over_the_datas():
    x = torch.rand(300, 1, 8, 8)
    assert sharpness(Drawn(x), x, samples=300) == pytest.approx(1.0)
    assert sharpness(Drawn(torch.full_like(x, 0.5)), x, samples=300) == 0
    assert sharpness(Drawn(0.5 + 0.5 * (x - 0.5)), x, samples=300) == pytest.approx(0.25)


def test_a_symmetry_row_counts_each_network():
    cfg = tiny_config(decoder=NetworkConfig(hidden=[64, 64]))
    model = VAE(cfg, (1, 8, 8)).eval()
    row = symmetry_row(model, {"elbo": 3.0, "reconstruction": 2.0, "kl": 1.0}, torch.rand(50, 1, 8, 8))
    assert row["decoder"] == sum(p.numel() for p in model.decoder.parameters()) > row["encoder"]
    assert (row["elbo"], row["distortion"], row["rate"]) == (3.0, 2.0, 1.0) and row["sharpness"] >= 0
