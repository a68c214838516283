"""log p(x|z) of each likelihood against torch.distributions."""

import math

import pytest
import torch
from torch import distributions as D

from vae.models.likelihoods import LOGVAR_MIN, Bernoulli, Categorical, Gaussian

B, C, H, W = 4, 3, 5, 6


@pytest.fixture
def g():
    return torch.Generator().manual_seed(0)


def test_bernoulli_matches_torch(g):
    logits = torch.randn(B, C, H, W, generator=g) * 3
    x = torch.bernoulli(torch.full((B, C, H, W), 0.4), generator=g)
    ref = D.Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(Bernoulli().log_prob(logits, x), ref)


def test_bernoulli_grey_levels_is_cross_entropy(g):
    logits = torch.randn(B, C, H, W, generator=g)
    x = torch.rand(B, C, H, W, generator=g)
    p = torch.sigmoid(logits)
    ref = (x * p.log() + (1 - x) * (1 - p).log()).flatten(1).sum(1)
    torch.testing.assert_close(Bernoulli().log_prob(logits, x), ref)


@pytest.mark.parametrize("variance", ["fixed", "learned"])
def test_gaussian_global_variance_matches_torch(g, variance):
    lk = Gaussian(variance, sigma=0.3)
    out = torch.randn(B, C, H, W, generator=g)
    x = torch.rand(B, C, H, W, generator=g)
    ref = D.Normal(torch.sigmoid(out), 0.3).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(lk.log_prob(out, x), ref)
    assert isinstance(lk.logvar, torch.nn.Parameter) == (variance == "learned")


def test_gaussian_fixed_is_scaled_mse(g):
    """With fixed sigma^2, -log p = ||x - mu||^2 / (2 sigma^2) + const."""
    lk = Gaussian("fixed", sigma=0.5)
    out = torch.randn(B, 1, 4, 4, generator=g)
    x = torch.rand(B, 1, 4, 4, generator=g)
    mse = ((x - torch.sigmoid(out)) ** 2).flatten(1).sum(1)
    const = 16 * 0.5 * math.log(2 * math.pi * 0.25)
    torch.testing.assert_close(-lk.log_prob(out, x), mse / (2 * 0.25) + const)


def test_gaussian_per_pixel_matches_torch(g):
    lk = Gaussian("per-pixel", sigma=0.1)
    out = torch.randn(B, 2 * C, H, W, generator=g)
    x = torch.rand(B, C, H, W, generator=g)
    mu, logvar = out[:, :C].sigmoid(), out[:, C:]
    ref = D.Normal(mu, (0.5 * logvar).exp()).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(lk.log_prob(out, x), ref)


def test_gaussian_variance_floor():
    lk = Gaussian("per-pixel", sigma=0.1)
    out = torch.cat([torch.zeros(1, 1, 2, 2), torch.full((1, 1, 2, 2), -50.0)], 1)
    _, logvar = lk.split(out)
    assert torch.all(logvar == LOGVAR_MIN)


@pytest.mark.parametrize("bins", [2, 16, 256])
def test_categorical_matches_torch(g, bins):
    lk = Categorical(bins)
    out = torch.randn(B, bins * C, H, W, generator=g)
    k = torch.randint(0, bins, (B, C, H, W), generator=g)
    x = k.float() / (bins - 1)
    logits = out.view(B, bins, C, H, W).movedim(1, -1)
    ref = D.Categorical(logits=logits).log_prob(k).flatten(1).sum(1)
    torch.testing.assert_close(lk.log_prob(out, x), ref)


def test_categorical_mean_and_sample(g):
    lk = Categorical(4)
    out = torch.full((2, 4, 1, 3, 3), -30.0)
    out[:, 2] = 30.0  # all mass on level 2 -> value 2/3
    out = out.view(2, 4, 3, 3)
    torch.testing.assert_close(lk.mean(out), torch.full((2, 1, 3, 3), 2 / 3))
    torch.testing.assert_close(lk.sample(out, g), torch.full((2, 1, 3, 3), 2 / 3))


def test_samples_follow_the_distribution(g):
    logits = torch.full((20000, 1, 1, 1), math.log(0.3 / 0.7))
    assert abs(Bernoulli().sample(logits, g).mean().item() - 0.3) < 0.01
    lk = Gaussian("fixed", sigma=0.05)
    s = lk.sample(torch.zeros(20000, 1, 1, 1), g)  # mu = 0.5
    assert abs(s.mean().item() - 0.5) < 0.01 and abs(s.std().item() - 0.05) < 0.005


@pytest.mark.parametrize("output,data_range", [("tanh", "-1,1"), ("linear", "-1,1"), ("linear", "0,1")])
def test_gaussian_output_layer_and_data_range(g, output, data_range):
    """mu = f(out) on x' = lo + (hi - lo) x; the mean and the draws come back in [0, 1] for pictures."""
    lk = Gaussian("fixed", sigma=0.2, output=output, data_range=data_range)
    out = torch.randn(B, C, H, W, generator=g)
    x = torch.rand(B, C, H, W, generator=g)
    lo = -1.0 if data_range == "-1,1" else 0.0
    mu = torch.tanh(out) if output == "tanh" else out
    ref = D.Normal(mu, 0.2).log_prob(lo + (1 - lo) * x).flatten(1).sum(1)
    torch.testing.assert_close(lk.log_prob(out, x), ref)
    torch.testing.assert_close(lk.mean(out), (mu - lo) / (1 - lo))
    draw = lk.sample(out, g)
    assert draw.min() >= 0 and draw.max() <= 1


def test_a_tanh_model_on_minus_one_to_one_trains_and_draws_in_unit_range():
    """The encoder reads x scaled to [-1, 1]; its pictures are in [0, 1] again."""
    from vae.config import VAEConfig
    from vae.config.values import apply
    from vae.models.vae import VAE

    cfg = apply(VAEConfig(), {"likelihood": "gaussian", "output_activation": "tanh", "data_range": "-1,1"}).validate()
    model = VAE(cfg, (1, 8, 8))
    x = torch.rand(5, 1, 8, 8)
    out = model(x)
    assert torch.isfinite(out.rec).all()
    pictures = model.reconstruct(x)
    assert pictures.min() >= 0 and pictures.max() <= 1
    mu = torch.tanh(model.decode(model.encode(x).mean))
    torch.testing.assert_close(pictures, ((mu + 1) / 2).clamp(0, 1))
