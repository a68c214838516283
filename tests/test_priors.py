"""The prior p(z): the standard normal and the VampPrior (Tomczak & Welling 2018)."""

import numpy as np
import pytest
import torch
import torch.distributions as D

from tests.app_helpers import chart, open_app
from tests.conftest import tiny_config
from vae.analysis.explore import prior_samples, traversal
from vae.cli import main
from vae.config.values import apply
from vae.errors import ConfigError
from vae.models.checkpoints import load_checkpoint
from vae.models.posteriors import DiagonalGaussian
from vae.models.priors import StandardNormal, VampPrior
from vae.models.vae import VAE


def vamp_with(mu: torch.Tensor, logvar: torch.Tensor) -> VampPrior:
    prior = VampPrior(mu.shape[1], len(mu), (1, 2, 2))
    prior.encode = lambda u: DiagonalGaussian(mu, logvar)
    return prior


def test_the_vamp_prior_is_the_mixture_of_its_components():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g) * 0.3
    prior = vamp_with(mu, logvar)
    mix = D.MixtureSameFamily(D.Categorical(torch.ones(5)), D.Independent(D.Normal(mu, (0.5 * logvar).exp()), 1))
    z = torch.randn(7, 4, 3, generator=g)
    assert torch.allclose(prior.log_prob(z), mix.log_prob(z), atol=1e-5)
    samples = prior.sample(20000, torch.Generator().manual_seed(1))
    mean, sd = prior.moments()
    assert torch.allclose(samples.mean(0), mean, atol=0.05) and torch.allclose(samples.std(0), sd, atol=0.05)
    assert torch.allclose(mix.mean, mean, atol=1e-5) and torch.allclose(mix.variance.sqrt(), sd, atol=1e-5)


def test_the_standard_prior_is_n01():
    p = StandardNormal(3)
    z = torch.randn(4, 3)
    assert torch.allclose(p.log_prob(z), D.Normal(0.0, 1.0).log_prob(z).sum(-1))
    mean, sd = p.moments()
    assert torch.equal(mean, torch.zeros(3)) and torch.equal(sd, torch.ones(3))


@pytest.mark.parametrize(
    "over,message",
    [
        ({"posterior": "iaf", "flow_steps": 2}, "no closed-form density"),
        ({"objective": "beta-tcvae"}, "does not: use prior standard"),
        ({"free_bits": 0.5}, "set free_bits to 0 or use prior standard"),
    ],
)
def test_combinations_the_vamp_prior_cannot_honour_are_refused(over, message):
    with pytest.raises(ConfigError, match=message):
        apply(tiny_config(), {"prior": "vamp", **over}).validate()


@pytest.fixture(scope="module")
def vamp_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("vamp") / "digits-z2-vamp.safetensors"
    args = ["train", "--dataset", "digits", "--latent-dim", "2", "--hidden", "64", "--epochs", "6"]
    assert main([*args, "--prior", "vamp", "--pseudo-inputs", "20", "--out", str(path)]) == 0
    return path


def test_a_vamp_model_learns_its_pseudo_inputs_and_samples_from_its_prior(vamp_model):
    ck = load_checkpoint(vamp_model)
    prior = ck.model.prior
    assert isinstance(prior, VampPrior) and prior.pseudo_inputs.shape == (20, 1, 8, 8)
    untrained = VAE(ck.config, (1, 8, 8)).prior.pseudo_inputs
    assert (prior.pseudo_inputs - untrained).abs().max() > 0.05  # learned with the model
    assert ck.metrics["kl_per_dim"] is None and np.isfinite(ck.metrics["elbo"])
    z, imgs = prior_samples(ck.model, 500, seed=0)
    with torch.no_grad():
        comps = prior.components()
    # every prior sample lies near one of the components (within 5 sd)
    d = (torch.as_tensor(z)[:, None] - comps.mu[None]).abs() / comps.stddev[None]
    assert bool((d.max(-1).values.min(1).values < 5).all())
    tr = traversal(ck.model, span=2.0, steps=3)
    mean, sd = (m.detach().numpy() for m in prior.moments())
    assert np.allclose(tr.z[0, 1], mean, atol=1e-5) and np.allclose(
        tr.z[0, 2, tr.dims[0]], mean[tr.dims[0]] + 2 * sd[tr.dims[0]], atol=1e-4
    )


def test_the_samples_page_shows_the_pseudo_inputs(app_dir, vamp_model):
    import shutil

    shutil.copy(vamp_model, app_dir)
    at = open_app("samples", model="digits-z2-vamp")
    assert not at.exception
    spec = chart(at, "pseudo_inputs")
    assert len(spec["layout"]["meta"]["corners"]) == 20
    assert "VampPrior" in chart(at, "samples")["layout"]["title"]["text"]
    for page in ("collapse", "latent_map", "traversals", "encoder"):
        assert not open_app(page, model="digits-z2-vamp").exception
