"""The prior p(z): the standard normal, the VampPrior (Tomczak & Welling 2018) and the flow prior (RealNVP)."""

import numpy as np
import pytest
import torch
import torch.distributions as D

from tests.app_helpers import chart, charts, open_app
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


# ------------------------------------------------------------------ the flow prior (RealNVP couplings)
def trained_looking_flow(latent_dim: int = 2, steps: int = 4, seed: int = 0):
    """A flow prior whose couplings are not the identity (their output layers start at zero)."""
    from vae.models.priors import FlowPrior

    torch.manual_seed(seed)
    prior = FlowPrior(latent_dim, steps)
    with torch.no_grad():
        for step in prior.steps:
            step.out.weight.normal_(0, 0.3)
            step.out.bias.normal_(0, 0.3)
    return prior


def test_the_flow_priors_density_is_the_change_of_variables_autograd_gives():
    prior = trained_looking_flow(3)
    z = torch.randn(6, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float32)
    inverse = lambda v: prior.inverse(v)[0]  # noqa: E731
    for zi in z:
        jac = torch.autograd.functional.jacobian(inverse, zi)
        expected = D.Normal(0.0, 1.0).log_prob(inverse(zi)).sum() + torch.linalg.slogdet(jac).logabsdet
        assert float(prior.log_prob(zi).detach()) == pytest.approx(float(expected.detach()), abs=1e-4)
    u = torch.randn(5, 3)
    with torch.no_grad():
        z = u
        for step in prior.steps:
            z = step(z)
        assert torch.allclose(prior.inverse(z)[0], u, atol=1e-5)  # invertible


def test_the_flow_prior_integrates_to_one_on_a_grid():
    prior = trained_looking_flow(2)
    side = torch.linspace(-12, 12, 601)
    grid = torch.stack(torch.meshgrid(side, side, indexing="ij"), -1).reshape(-1, 2)
    with torch.no_grad():
        mass = prior.log_prob(grid).exp().sum() * (side[1] - side[0]) ** 2
    assert float(mass) == pytest.approx(1.0, abs=0.01)


def test_the_flow_prior_starts_as_n01_and_its_moments_are_its_samples():
    from vae.models.priors import FlowPrior

    z = torch.randn(4, 5)
    assert torch.allclose(FlowPrior(5, 3).log_prob(z), StandardNormal(5).log_prob(z), atol=1e-6)
    prior = trained_looking_flow(2)
    with torch.no_grad():
        draws = prior.sample(20000, torch.Generator().manual_seed(3))
    mean, sd = prior.moments()
    assert torch.allclose(draws.mean(0), mean, atol=0.1) and torch.allclose(draws.std(0), sd, rtol=0.1)
    one = trained_looking_flow(1)  # one dimension: each step is an affine map of it
    assert torch.isfinite(one.log_prob(torch.randn(3, 1))).all()


@pytest.mark.parametrize(
    "over,message",
    [
        ({"objective": "beta-tcvae"}, "a flow prior does not"),
        ({"free_bits": 0.5}, "against a flow prior the KL does not split"),
    ],
)
def test_combinations_the_flow_prior_cannot_honour_are_refused(over, message):
    with pytest.raises(ConfigError, match=message):
        apply(tiny_config(), {"prior": "flow", **over}).validate()


def test_a_flow_prior_model_trains_saves_and_draws_on_the_pages(app_dir):
    from vae.models.priors import FlowPrior

    path = app_dir / "digits-z2-flow.safetensors"
    args = ["train", "--dataset", "digits", "--latent-dim", "2", "--hidden", "64", "--epochs", "4"]
    assert main([*args, "--prior", "flow", "--prior-flow-steps", "3", "--out", str(path)]) == 0
    ck = load_checkpoint(path)
    prior = ck.model.prior
    assert isinstance(prior, FlowPrior) and len(prior.steps) == 3 and ck.metrics["kl_per_dim"] is None
    assert any(float(s.out.weight.detach().abs().max()) > 0 for s in prior.steps)  # learned with the model
    tr = traversal(ck.model, span=2.0, steps=3)
    mean, sd = (m.numpy() for m in prior.moments())
    assert np.allclose(tr.z[0, 1], mean, atol=1e-5)  # centred on the prior's mean, in units of its sd
    assert "flow prior" in chart(open_app("samples", model="digits-z2-flow"), "samples")["layout"]["title"]["text"]
    for page in ("collapse", "latent_map", "traversals", "encoder", "compare"):
        assert not open_app(page, model="digits-z2-flow").exception, page


def test_a_2d_models_samples_page_draws_its_prior_under_the_codes_and_compares_the_priors(app_dir):
    from tests.app_helpers import arr, lesson_likelihood_models
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import posterior, prior_density
    from vae.config.shipped import LESSONS

    lesson_likelihood_models(app_dir, ("priors",))
    at = open_app("samples", model="digits-z2")
    spec = chart(at, "prior_map")
    heat, *classes = spec["data"]
    ck = load_checkpoint(app_dir / "digits-z2.safetensors")
    means, _ = posterior(ck.model, checkpoint_split(ck, "test")[1][:2000])
    grid = prior_density(ck.model, means)
    assert arr(heat["z"]).shape == (121, 121) and np.allclose(arr(heat["z"]), np.log(grid["density"]), atol=1e-4)
    assert heat["zmax"] - heat["zmin"] == 10 and heat["zmax"] == pytest.approx(np.log(grid["density"]).max())
    assert sum(len(arr(c["x"])) for c in classes) == len(means)  # every code over the density
    table = next(d.value for d in at.dataframe if "prior" in d.value.columns).set_index("name")
    assert list(table.index) == [r.model for r in LESSONS["priors"].values()]
    at.button(key="prior_open_flow").click().run()
    assert at.sidebar.selectbox(key="model").value == LESSONS["priors"]["flow"].model
    assert not [k for k in charts(at) if k.endswith("prior_map")]  # its latent is not 2-D here: no map
