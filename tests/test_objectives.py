"""KL, the training losses and their schedules, and the IWAE bound."""

import math

import pytest
import torch
from torch import distributions as D

from vae.config import ObjectiveConfig
from vae.models.posteriors import DiagonalGaussian, kl_per_dim
from vae.models.priors import StandardNormal
from vae.objectives.elbo import capacity_at, training_loss, warmup_beta
from vae.objectives.iwae import iwae_log_px


def test_kl_closed_form_matches_torch():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(7, 5, generator=g), torch.randn(7, 5, generator=g)
    ref = D.kl_divergence(D.Normal(mu, (0.5 * logvar).exp()), D.Normal(0.0, 1.0))
    torch.testing.assert_close(kl_per_dim(mu, logvar), ref)


def test_kl_monte_carlo():
    mu, logvar = torch.tensor([[0.7, -1.2]]), torch.tensor([[-0.5, 0.4]])
    q = D.Normal(mu, (0.5 * logvar).exp())
    z = q.sample((200_000,))
    mc = (q.log_prob(z) - D.Normal(0.0, 1.0).log_prob(z)).mean(0)
    torch.testing.assert_close(kl_per_dim(mu, logvar), mc, atol=0.01, rtol=0.01)


def test_kl_zero_at_prior():
    assert kl_per_dim(torch.zeros(3, 4), torch.zeros(3, 4)).abs().max() == 0


def test_warmup_schedule():
    assert warmup_beta(2.0, 0, 0.0) == 2.0
    assert warmup_beta(2.0, 4, 0.0) == 0.0
    assert warmup_beta(2.0, 4, 1.0) == 0.5
    assert warmup_beta(2.0, 4, 4.0) == 2.0
    assert warmup_beta(2.0, 4, 9.0) == 2.0


def test_capacity_schedule():
    assert capacity_at(25.0, 10, 0) == 0
    assert capacity_at(25.0, 10, 5) == 12.5
    assert capacity_at(25.0, 10, 20) == 25.0


def test_training_loss_beta_and_free_bits():
    rec = torch.tensor([10.0, 20.0])
    kl = torch.tensor([[0.1, 2.0], [0.3, 4.0]])  # batch means: 0.2, 3.0
    loss, w = training_loss(rec, kl, ObjectiveConfig(beta=2.0), 0.0, 10)
    assert w == 2.0 and loss.item() == pytest.approx(15 + 2 * 3.2)
    loss, _ = training_loss(rec, kl, ObjectiveConfig(beta=1.0, free_bits=0.5), 0.0, 10)
    assert loss.item() == pytest.approx(15 + 0.5 + 3.0)  # dim 0 floored at lambda
    loss, w = training_loss(rec, kl, ObjectiveConfig(beta=1.0, kl_warmup=4), 1.0, 10)
    assert w == 0.25 and loss.item() == pytest.approx(15 + 0.25 * 3.2)


def test_free_bits_stops_gradient_below_floor():
    kl = torch.tensor([[0.1, 2.0]], requires_grad=True)
    loss, _ = training_loss(torch.zeros(1), kl, ObjectiveConfig(free_bits=0.5), 0, 1)
    loss.backward()
    assert kl.grad.tolist() == [[0.0, 1.0]]


def test_training_loss_capacity():
    rec, kl = torch.tensor([10.0]), torch.tensor([[3.0, 2.0]])
    loss, c = training_loss(rec, kl, ObjectiveConfig(capacity=8.0, capacity_gamma=100.0, capacity_epochs=4), 2.0, 10)
    assert c == 4.0 and loss.item() == pytest.approx(10 + 100 * 1.0)
    _, c = training_loss(rec, kl, ObjectiveConfig(capacity=8.0), 5.0, 10)  # default: all epochs
    assert c == 4.0


class _Exact(torch.nn.Module):
    """A linear-Gaussian model where log p(x) is known in closed form.

    p(z) = N(0,1), p(x|z) = N(x; z, s^2)  =>  p(x) = N(0, 1 + s^2)
    """

    def __init__(self, s=0.5, q_mu_scale=0.5, q_logvar=-0.5):
        super().__init__()
        from vae.models.likelihoods import Gaussian

        self.s, self.a, self.lv = s, q_mu_scale, q_logvar
        self.output_numel = self.decode_numel = 1
        self.likelihood = Gaussian("fixed", sigma=s)
        self.likelihood.split = lambda out: (out, torch.full_like(out, 2 * math.log(s)))
        self.prior = StandardNormal(1)

    def encode(self, x):
        flat = x.flatten(1)
        return DiagonalGaussian(self.a * flat, torch.full_like(flat, self.lv))

    def decode(self, z, x=None):
        return z.view(-1, 1, 1, 1)

    def log_px_z(self, z, x):
        return self.likelihood.log_prob(self.decode(z), x)


def test_iwae_bounds_exact_log_px_and_tightens():
    model = _Exact()
    x = torch.linspace(-2, 2, 50).view(-1, 1, 1, 1)
    exact = D.Normal(0.0, math.sqrt(1 + 0.25)).log_prob(x.flatten())
    g = torch.Generator().manual_seed(0)
    est = {k: torch.stack([iwae_log_px(model, x, k, g) for _ in range(20)]).mean(0) for k in (1, 10, 1000)}
    # k=1 is the ELBO; the bound rises with k, stays below log p(x) and approaches it
    assert est[1].mean() < est[10].mean() < est[1000].mean() <= exact.mean() + 1e-3
    assert (exact - est[1000]).abs().max() < 0.02


def test_iwae_at_least_elbo_on_trained_model(trained_digits):
    from vae.data.embedded import load_digits

    model = trained_digits.model
    x = load_digits().x_test[:100]
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        out = model(x, g)
    elbo = -(out.rec + out.kl).mean()
    iw = [iwae_log_px(model, x, k, g).mean() for k in (1, 5, 50)]
    assert abs(iw[0] - elbo) < 1.0  # k=1: the ELBO, up to sampling noise
    assert iw[0] < iw[1] < iw[2]


def test_iwae_chunking_gives_same_answer(trained_digits):
    from vae.data.embedded import load_digits

    model = trained_digits.model
    x = load_digits().x_test[:30]
    a = iwae_log_px(model, x, 40, torch.Generator().manual_seed(3))
    b = iwae_log_px(model, x, 40, torch.Generator().manual_seed(3), max_chunk_bytes=model.decode_numel * 4 * 7)
    assert a.shape == (30,) and torch.isfinite(a).all()
    assert abs(a.mean() - b.mean()) < 0.5  # different noise layout, same estimate
