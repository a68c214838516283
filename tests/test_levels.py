"""The likelihoods on the scale of 8-bit values (vae.analysis.levels) against direct computations."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from vae.analysis.levels import (
    LEVELS,
    bits_per_dim,
    fixed_sigma_identity,
    log_prob_values,
    value_distribution,
    values_elbo,
)
from vae.config import VAEConfig
from vae.config.values import apply
from vae.models.likelihoods import Bernoulli, Categorical, Gaussian
from vae.models.vae import VAE


@pytest.fixture
def g():
    return torch.Generator().manual_seed(0)


def eight_bit(g, shape=(3, 1, 4, 5)):
    v = torch.randint(0, LEVELS, shape, generator=g)
    v[0, 0, 0, 0], v[0, 0, 0, 1] = 0, 255  # the open-ended bins
    return v.float() / 255, v


@pytest.mark.parametrize("data_range,output", [("0,1", "sigmoid"), ("-1,1", "tanh")])
def test_gaussian_mass_of_a_value_is_the_cdf_difference_over_its_bin(g, data_range, output):
    x, v = eight_bit(g)
    lk = Gaussian("per-pixel", 0.1, output, data_range)
    out = torch.randn(3, 2, 4, 5, generator=g)
    mu, logvar = lk.split(out)
    lo, hi = (-1.0, 1.0) if data_range == "-1,1" else (0.0, 1.0)
    w = (hi - lo) / 255
    c = lo + w * v.double().numpy()
    m, s = mu.double().numpy(), np.exp(0.5 * logvar.double().numpy())
    upper = np.where(v.numpy() == 255, np.inf, c + w / 2)
    lower = np.where(v.numpy() == 0, -np.inf, c - w / 2)
    ref = np.log(norm.cdf(upper, m, s) - norm.cdf(lower, m, s)).reshape(3, -1).sum(1)
    np.testing.assert_allclose(log_prob_values(lk, out, x).numpy(), ref, rtol=1e-6)


@pytest.mark.parametrize(
    "likelihood,channels",
    [
        (Gaussian("fixed", 0.05), 1),
        (Gaussian("learned", 0.3, "linear"), 1),
        (Categorical(16), 16),
        (Categorical(256), 256),
    ],
)
def test_every_value_distribution_sums_to_one(g, likelihood, channels):
    out = torch.randn(1, channels, 3, 3, generator=g)
    dist = value_distribution(likelihood, out, (0, 1, 2))
    assert dist.shape == (LEVELS,) and float(dist.sum()) == pytest.approx(1, abs=1e-9)


def test_a_categorical_of_256_levels_is_its_own_log_prob(g):
    x, _ = eight_bit(g)
    lk = Categorical(256)
    out = torch.randn(3, 256, 4, 5, generator=g)
    torch.testing.assert_close(log_prob_values(lk, out, x), lk.log_prob(out, x).double(), rtol=1e-5, atol=1e-4)


def test_a_coarse_categorical_spreads_a_level_evenly_over_its_values(g):
    lk = Categorical(2)  # level 0: values 0..127, level 1: 128..255
    out = torch.tensor([math.log(0.25), math.log(0.75)]).view(1, 2, 1, 1)
    dist = value_distribution(lk, out, (0, 0, 0))
    assert float(dist[0]) == pytest.approx(0.25 / 128) and float(dist[255]) == pytest.approx(0.75 / 128)


def test_a_bernoulli_is_not_on_the_scale(g):
    with pytest.raises(TypeError):
        log_prob_values(Bernoulli(), torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2))
    dist = value_distribution(Bernoulli(), torch.zeros(1, 1, 2, 2), (0, 0, 0))
    assert float(dist[0]) == float(dist[255]) == 0.5 and float(dist[1:255].sum()) == 0


@pytest.mark.parametrize("sigma,data_range,output", [(0.1, "0,1", "sigmoid"), (1.0, "-1,1", "tanh")])
def test_a_fixed_sigma_makes_the_reconstruction_a_scaled_squared_error(g, sigma, data_range, output):
    cfg = apply(
        VAEConfig(),
        {"likelihood": "gaussian", "sigma": sigma, "output_activation": output, "data_range": data_range},
    ).validate()
    model = VAE(cfg, (1, 6, 6))
    x = torch.rand(8, 1, 6, 6, generator=g)
    got = fixed_sigma_identity(model, x)
    assert abs(got["difference"]) < 1e-5
    assert got["weight"] == pytest.approx(1 / (2 * sigma**2))


def test_the_values_elbo_counts_bits_per_value(g):
    cfg = apply(VAEConfig(), {"likelihood": "gaussian", "variance": "per-pixel"}).validate()
    model = VAE(cfg, (1, 6, 6))
    x, _ = eight_bit(g, (10, 1, 6, 6))
    got = values_elbo(model, x, torch.Generator().manual_seed(1))
    assert got["nats"] == pytest.approx(got["reconstruction"] + got["kl"])
    assert got["bits_per_dim"] == pytest.approx(bits_per_dim(got["nats"], 36)) and got["reconstruction"] > 0


def test_ppca_keeps_the_directions_that_vary_more_than_sigma_squared(g):
    from vae.analysis.levels import data_spread, ppca_kept

    sd = torch.tensor([2.0, 1.0, 0.5, 0.1])
    x = (torch.randn(20000, 4, generator=g) * sd).view(-1, 1, 2, 2) * 0.1 + 0.5  # variances 0.04, 0.01, ...
    spread = data_spread(x)
    np.testing.assert_allclose(spread.numpy(), (0.1 * sd) ** 2, rtol=0.05)
    assert [ppca_kept(spread, s, 3) for s in (0.04, 0.15, 0.3)] == [3, 1, 0]
    np.testing.assert_allclose(data_spread(x, "-1,1").numpy(), 4 * spread.numpy())  # twice the scale


def test_the_default_pixel_is_the_grey_one_nearest_the_centre():
    from vae.analysis.levels import grey_pixel

    x = torch.zeros(1, 5, 5)
    x[0, 0, 0] = x[0, 2, 3] = 0.5
    x[0, 4, 4] = 0.45
    assert grey_pixel(x) == (0, 2, 3)
