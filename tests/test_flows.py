"""Flow posteriors: planar and IAF steps after the Gaussian, with exact log-densities."""

import json

import numpy as np
import pytest
import torch

from tests.app_helpers import chart, open_app
from tests.conftest import tiny_config
from vae.cli import main
from vae.config.values import apply
from vae.errors import ConfigError
from vae.models.checkpoints import load_checkpoint, save_checkpoint
from vae.models.flows import IAF, FlowPosterior, PlanarFlows
from vae.models.posteriors import DiagonalGaussian
from vae.models.vae import VAE
from vae.training.trainer import train

D, H = 3, 5


def randomised(flow: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Every parameter drawn at random (an IAF starts as the identity: its output layer is zero)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in flow.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.7)
    return flow


@pytest.mark.parametrize("make", [lambda: PlanarFlows(H, D, 4), lambda: IAF(H, D, 3, 16)], ids=["planar", "iaf"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_log_determinant_is_the_jacobians(make, seed):
    flow = randomised(make(), seed).double()
    h = torch.randn(1, H, generator=torch.Generator().manual_seed(10 + seed), dtype=torch.float64)
    z = torch.randn(1, D, generator=torch.Generator().manual_seed(20 + seed), dtype=torch.float64)
    _, log_det = flow(z, h)
    jac = torch.autograd.functional.jacobian(lambda v: flow(v[None], h)[0][0], z[0])
    assert log_det.item() == pytest.approx(torch.linalg.slogdet(jac)[1].item(), abs=1e-6)


def test_an_iaf_step_is_autoregressive_in_its_order():
    flow = randomised(IAF(H, D, 2, 16), 3).double()
    h = torch.randn(1, H, dtype=torch.float64)
    z = torch.randn(1, D, dtype=torch.float64)
    for step, order in zip(flow.steps, ([0, 1, 2], [2, 1, 0])):
        c = torch.nn.functional.elu(flow.context(h))
        jac = torch.autograd.functional.jacobian(lambda v, s=step, c=c: s(v[None], c)[0][0], z[0])
        for i, dim in enumerate(order):  # output `dim` depends on itself (sigma z) and on the dims before it only
            later = order[i + 1 :]
            assert torch.all(jac[dim, later] == 0)


def test_samples_carry_the_base_density_minus_the_log_determinants():
    flow = randomised(PlanarFlows(H, D, 2), 4)
    base = DiagonalGaussian(torch.randn(2, D), torch.randn(2, D) * 0.3)
    h = torch.randn(2, H)
    q = FlowPosterior(base, flow, h)
    eps = torch.randn(7, 2, D)
    z, log_q = q.transform(eps)
    z0 = base.mu + base.stddev * eps
    z_again, log_det = flow(z0, h)
    assert torch.allclose(z, z_again) and torch.allclose(log_q, base.log_prob(z0) - log_det)


def test_zero_flow_steps_are_the_gaussian_exactly():
    x = torch.rand(5, 1, 8, 8)
    outs = []
    for posterior in ("gaussian", "planar", "iaf"):
        cfg = apply(tiny_config(), {"posterior": posterior, "flow_steps": 0}).validate()
        torch.manual_seed(0)
        model = VAE(cfg, (1, 8, 8))
        assert model.flow is None and isinstance(model.encode(x), DiagonalGaussian)
        outs.append(model(x, torch.Generator().manual_seed(1)))
    for out in outs[1:]:
        assert torch.equal(out.rec, outs[0].rec) and torch.equal(out.kl_dims, outs[0].kl_dims)


@pytest.mark.parametrize(
    "over,message",
    [
        ({"objective": "beta-tcvae"}, "beta-tcvae objective estimates the total correlation"),
        ({"free_bits": 0.5}, "free bits floor the KL of each latent dimension"),
    ],
)
def test_combinations_a_flow_cannot_honour_are_refused(over, message):
    with pytest.raises(ConfigError, match=message):
        apply(tiny_config(), {"posterior": "iaf", "flow_steps": 2, **over}).validate()


@pytest.fixture(scope="module")
def flow_model(tmp_path_factory):
    cfg = apply(tiny_config(latent_dim=2, train__epochs=4), {"posterior": "iaf", "flow_steps": 2}).validate()
    r = train(cfg)
    path = tmp_path_factory.mktemp("flow") / "digits-z2-iaf.safetensors"
    save_checkpoint(path, r.model, r.history, r.metrics, dataset=r.dataset)
    return path


def test_a_flow_model_trains_saves_loads_and_is_diagnosed(flow_model, capsys):
    ck = load_checkpoint(flow_model)
    assert ck.config.posterior.name == "iaf" and ck.model.flow is not None
    assert ck.metrics["kl_per_dim"] is None and np.isfinite(ck.metrics["elbo"])
    assert main(["diagnose", str(flow_model), "--json", "--iwae-k", "20", "--gaps-examples", "5"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["mutual_info"] is None and rep["kl_decomposition"] is None and rep["kl_per_dim"] is None
    assert rep["iwae_nll"] <= rep["elbo"] + 0.5  # the IWAE bound, with the flow's exact log q, is the tighter
    assert "the flow beats every Gaussian" in rep["inference_gaps"]["estimated_by"]["elbo"]
    assert main(["diagnose", str(flow_model)]) == 0
    assert "I(x;z)          not estimated" in capsys.readouterr().out


def test_train_flags_reach_the_configuration(tmp_path):
    out = tmp_path / "planar.safetensors"
    args = ["train", "--dataset", "digits", "--latent-dim", "2", "--epochs", "1", "--hidden", "16"]
    assert main([*args, "--posterior", "planar", "--flow-steps", "3", "--no-reports", "--out", str(out)]) == 0
    cfg = load_checkpoint(out).config
    assert (cfg.posterior.name, cfg.posterior.flow_steps) == ("planar", 3)


def test_the_pages_show_a_flow_model(app_dir, flow_model):
    import shutil

    shutil.copy(flow_model, app_dir)
    at = open_app("collapse", model="digits-z2-iaf")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["mutual information I(x;z)"] == "n/a"
    assert any("no KL per dimension" in i.value for i in at.info)
    at = open_app("encoder", model="digits-z2-iaf")
    names = [t.get("name") for t in chart(at, "true_posterior")["data"]]
    assert "draws of the flow q(z|x)" in names and "amortized q(z|x), 1 sd" not in names
    for page in ("latent_map", "traversals", "samples"):
        assert not open_app(page, model="digits-z2-iaf").exception
