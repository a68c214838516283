"""How good is the encoder: the true posterior on a grid, q* per example, and the two gaps."""

import json
import math

import numpy as np
import pytest
import torch

from tests.app_helpers import arr, chart, charts, open_app
from vae.analysis.evaluation import checkpoint_split
from vae.analysis.inference import (
    GRID_NLL_SIZE,
    elbo,
    example_bounds,
    grid_moments,
    grid_nll,
    grid_posterior,
    inference_gaps,
    optimize_posterior,
)
from vae.cli import main
from vae.errors import ConfigError
from vae.models.checkpoints import load_checkpoint
from vae.models.likelihoods import Gaussian
from vae.models.posteriors import DiagonalGaussian
from vae.models.priors import StandardNormal

W = torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # orthogonal columns: the true posterior is diagonal
S = 0.5


class LinearGaussian(torch.nn.Module):
    """p(z) = N(0, I_2), p(x|z) = N(x; W z, s^2 I_3): log p(x) = log N(x; 0, W W^T + s^2 I) in closed form.

    Its posterior is N(Sigma W^T x / s^2, Sigma), Sigma = (I + W^T W / s^2)^-1, diagonal for this W; the
    encoder returns it with the mean scaled by ``mean_scale`` (1: exact, below 1: an imperfect encoder).
    """

    latent_dim, autoregressive, decode_numel, flow = 2, False, 3, None

    def __init__(self, mean_scale=1.0):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # for next(model.parameters()).device
        self.likelihood = Gaussian("fixed", sigma=S)
        self.likelihood.split = lambda out: (out, torch.full_like(out, 2 * math.log(S)))
        self.prior = StandardNormal(2)
        self.sigma = torch.linalg.inv(torch.eye(2) + W.T @ W / S**2)
        self.mean_scale = mean_scale

    def encode(self, x):
        mu = x.flatten(1) @ W @ self.sigma / S**2
        return DiagonalGaussian(self.mean_scale * mu, torch.diagonal(self.sigma).log().expand_as(mu))

    def decode(self, z, x=None):
        return (z @ W.T).view(-1, 1, 1, 3)

    def log_px_z(self, z, x):
        return self.likelihood.log_prob(self.decode(z), x)


def exact_log_px(x):
    cov = W @ W.T + S**2 * torch.eye(3)
    return torch.distributions.MultivariateNormal(torch.zeros(3), cov).log_prob(x.flatten(1))


@pytest.fixture(scope="module")
def digits_z2(app_models):
    return load_checkpoint(app_models / "digits-z2.safetensors")


X = torch.tensor([[[[1.0, -0.5, 0.3]]], [[[-2.0, 1.0, -0.2]]]])


def test_the_grid_posterior_sums_to_one_and_its_log_px_is_exact():
    model = LinearGaussian()
    for i in range(len(X)):
        grid = grid_posterior(model, X[i : i + 1])
        assert grid.prob.sum() == pytest.approx(1.0, abs=1e-9) and grid.prob.shape == (121, 121)
        assert grid.log_px == pytest.approx(exact_log_px(X[i : i + 1]).item(), abs=1e-3)
        # the mode sits at the posterior mean
        r, c = np.unravel_index(grid.prob.argmax(), grid.prob.shape)
        mean = model.encode(X[i : i + 1]).mean[0]
        assert abs(grid.z1[c] - mean[0]) < 0.1 and abs(grid.z2[r] - mean[1]) < 0.1


def test_an_exact_encoder_has_no_gaps_and_a_poor_one_an_amortization_gap_only():
    exact = inference_gaps(LinearGaussian(), X, n=2, iwae_k=100)
    assert exact["approximation_gap_is_bound"] is False  # 2-D: the grid, and q* started at its moments
    assert exact["log_px"] == pytest.approx(exact_log_px(X).mean().item(), abs=1e-3)  # the grid (2-D)
    assert abs(exact["amortization_gap"]) < 0.05 and abs(exact["approximation_gap"]) < 0.05
    poor = inference_gaps(LinearGaussian(mean_scale=0.3), X, n=2, iwae_k=100)
    assert poor["amortization_gap"] > 1.0  # the encoder's fault...
    assert abs(poor["approximation_gap"]) < 0.05  # ...not the family's: a diagonal Gaussian fits exactly
    assert set(poor["estimated_by"]) == {"log_px", "elbo_optimized", "elbo"}


def test_optimisation_never_lowers_an_examples_elbo(digits_z2):
    model = digits_z2.model
    _, x, _, _ = checkpoint_split(digits_z2, "test")
    x = x[:16]
    eps = torch.randn((64, len(x), 2), generator=torch.Generator().manual_seed(5))
    start = elbo(model, x, model.encode(x), eps)
    for steps in (0, 5, 100):
        q_star, best, trace = optimize_posterior(model, x, steps=steps, eps=eps)
        assert torch.all(best >= start) and trace == sorted(trace)
        assert torch.allclose(elbo(model, x, q_star, eps), best)
    assert best.mean() > start.mean() + 0.01  # and it does improve on a trained model


def test_on_a_2d_model_the_iwae_bound_rises_with_k_towards_the_grids_log_px(digits_z2):
    model = digits_z2.model
    _, x, _, _ = checkpoint_split(digits_z2, "test")
    rows = [example_bounds(model, x[i : i + 1], ks=(1, 10, 100, 1000), seed=i) for i in range(8)]
    iwae = {k: np.mean([r["iwae"][k] for r in rows]) for k in (1, 10, 100, 1000)}
    assert iwae[1] < iwae[10] < iwae[100] <= iwae[1000] + 0.05
    for r in rows:  # and for each example: the column a student reads rises with k (up to 100, of 10 groups)
        assert r["iwae"][1] < r["iwae"][10] < r["iwae"][100], r["iwae"]
    fine = np.mean([grid_posterior(model, x[i : i + 1], n=241).log_px for i in range(8)])
    coarse = np.mean([r["log_px"] for r in rows])
    grid_error = abs(fine - coarse) + 0.05
    assert iwae[1000] <= coarse + grid_error
    assert all(r["elbo_optimized"] >= r["elbo_amortized"] for r in rows)


def test_the_grid_refuses_a_latent_that_is_not_2d(trained_digits):
    x = torch.zeros(1, 1, 8, 8)
    with pytest.raises(ConfigError, match="2-D latent only"):
        grid_posterior(trained_digits.model, x)


def test_diagnose_json_reports_the_gaps(app_models, capsys):
    path = app_models / "digits-z2.safetensors"
    assert main(["diagnose", str(path), "--json", "--iwae-k", "5", "--gaps-examples", "10"]) == 0
    g = json.loads(capsys.readouterr().out)["inference_gaps"]
    assert set(g) >= {"log_px", "elbo_optimized", "elbo_amortized", "approximation_gap", "amortization_gap"}
    assert g["num"] == 10 and "grid" in g["estimated_by"]["log_px"]
    assert g["approximation_gap"] == pytest.approx(g["log_px"] - g["elbo_optimized"])
    assert g["amortization_gap"] == pytest.approx(g["elbo_optimized"] - g["elbo_amortized"])
    assert g["amortization_gap"] >= 0
    assert main(["diagnose", str(path), "--json", "--iwae-k", "5", "--gaps-examples", "0"]) == 0
    assert "inference_gaps" not in json.loads(capsys.readouterr().out)
    assert main(["diagnose", str(path), "--gaps-examples", "-1"]) == 2
    assert "--gaps-examples must be 0 or more" in capsys.readouterr().err


def test_the_encoder_page_draws_the_true_posterior_and_measures_the_gaps(app_dir):
    at = open_app("encoder", model="digits-z2")
    ck = load_checkpoint(app_dir / "digits-z2.safetensors")
    _, x, _, _ = checkpoint_split(ck, "test")
    fig = chart(at, "true_posterior")
    heat = fig["data"][0]
    assert heat["type"] == "heatmap" and arr(heat["z"]).sum() == pytest.approx(1.0, abs=1e-6)
    q = ck.model.encode(x[:1])
    ring = next(t for t in fig["data"] if t.get("name") == "amortized q(z|x), 1 sd")
    assert np.mean(arr(ring["x"])) == pytest.approx(q.mean[0, 0].item(), abs=0.05)  # centred on the encoder's mean
    # zoomed to where the mass is: the window holds 99.9 % of it and both 2-sd ellipses, in a fraction of the grid
    (x0, x1), (y0, y1) = fig["layout"]["xaxis"]["range"], fig["layout"]["yaxis"]["range"]
    z1, z2, prob = arr(heat["x"]), arr(heat["y"]), arr(heat["z"])
    assert prob[np.ix_((z2 >= y0) & (z2 <= y1), (z1 >= x0) & (z1 <= x1))].sum() >= 0.999
    for t in fig["data"][1:]:
        assert x0 <= min(arr(t["x"])) and max(arr(t["x"])) <= x1 and y0 <= min(arr(t["y"])) and max(arr(t["y"])) <= y1
    assert x1 - x0 == pytest.approx(y1 - y0)  # a square window: the ellipses keep their shape
    table = at.dataframe[0].value
    numbers = dict(zip(table["quantity"], table["nats"]))
    assert numbers["amortization gap"] >= 0
    assert numbers["ELBO(q*), optimised for this x"] >= numbers["ELBO(q), the encoder's"]
    at.button(key="enc_measure").click().run()
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["amortization gap"]) >= 0
    assert not metrics["approximation gap"].startswith("≤")  # a 2-D latent: the grid's log p(x), not a bound
    assert [t["name"] for t in chart(at, "enc_gaps")["data"]][0].startswith("approximation gap")
    at.button(key="enc_wider").click().run()  # opens Train with the encoder twice as wide
    assert at.text_input(key="hidden").value == " ".join(str(2 * h) for h in ck.config.encoder.hidden)
    assert at.text_input(key="decoder_hidden").value == " ".join(map(str, ck.config.decoder.hidden))  # kept
    at = open_app("encoder", model="digits-z2")
    at.button(key="enc_iaf").click().run()  # ...or with a flow posterior
    assert at.selectbox(key="posterior").value == "iaf" and at.number_input(key="flow_steps").value == 4


def test_the_encoder_page_says_why_a_wider_latent_has_no_picture(app_dir):
    at = open_app("encoder", model="digits-z4-collapsed")
    assert any("2-D latent only" in i.value for i in at.info)
    assert "true_posterior" not in charts(at)
    at.button(key="enc_two_d").click().run()
    assert at.session_state["model"] == "digits-z2"


def test_grid_nll_is_the_exact_value_and_the_grid_moments_the_posteriors():
    model = LinearGaussian()
    assert grid_nll(model, X) == pytest.approx(-exact_log_px(X).mean().item(), abs=1e-3)
    mean, var, mode = grid_moments(grid_posterior(model, X[:1], n=GRID_NLL_SIZE))
    q = model.encode(X[:1])
    assert mean == pytest.approx(q.mean[0].tolist(), abs=1e-2) and mode == pytest.approx(mean, abs=0.2)
    assert var == pytest.approx(q.stddev[0].pow(2).tolist(), rel=0.05)


def test_q_star_leaves_the_wrong_basin_the_encoder_puts_it_in():
    """Test example 11 of the shipped mnist5k-mlp-z2: the encoder's q sits far from the true posterior's one mode,
    and Adam from q alone stopped 20 nats short (an approximation gap of 20.1 shown). From the grid's moments and
    mode q* is the Gaussian at the mode: the gap is about zero, the rest is the encoder's (amortization)."""
    from pathlib import Path

    ck = load_checkpoint(Path(__file__).parents[1] / "checkpoints" / "mnist5k-mlp-z2.safetensors")
    _, x, _, _ = checkpoint_split(ck, "test")
    b = example_bounds(ck.model, x[11:12], ks=(1, 10), seed=ck.config.train.seed)
    assert b["log_px"] - b["elbo_optimized"] < 1.0  # seen: 0.3
    assert b["elbo_optimized"] - b["elbo_amortized"] > 10.0


def test_eval_and_diagnose_give_the_exact_nll_of_a_2d_model_under_its_iwae_bound(app_models, capsys):
    path = str(app_models / "digits-z2.safetensors")
    assert main(["eval", path, "--iwae-k", "10", "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["nll_exact"] and ev["nll"] <= ev["iwae_nll"] + 0.05
    assert main(["diagnose", path, "--iwae-k", "10", "--gaps-examples", "0"]) == 0
    out = capsys.readouterr().out
    assert "(exact: integrated on a grid of the 2-D latent)" in out and "q(z) of" in out


def test_the_true_posterior_figure_draws_q_in_red_and_q_star_in_green_for_a_flow_too():
    """The caption says red is the encoder's q and green q*: for a flow posterior (drawn by its samples) q* was the
    first ellipse and took red, the samples' colour too."""
    from vae.figures.plots import POSTERIOR_COLOURS, true_posterior_figure

    grid = grid_posterior(LinearGaussian(), X[:1], n=21)
    q, q_star = ([0.0, 0.0], [1.0, 1.0]), ([0.5, 0.5], [0.5, 0.5])
    red, green = POSTERIOR_COLOURS
    plain = true_posterior_figure(grid, {"q": q, "q*": q_star})
    assert [t.line.color for t in plain.data[1:]] == [red, red, green, green]
    flow = true_posterior_figure(grid, {"q*": q_star}, samples=np.zeros((5, 2)))
    assert [t.line.color for t in flow.data[1:3]] == [green, green] and flow.data[3].marker.color == red


def test_the_posterior_window_zooms_to_the_mass_and_the_ellipses():
    """A posterior filling a tenth of its grid is drawn in a window around it, not on the whole grid."""
    from types import SimpleNamespace

    from vae.figures.plots import mass_window

    z = np.linspace(-4, 4, 161)
    g1, g2 = np.meshgrid(z, z)  # (z2, z1)
    prob = np.exp(-0.5 * (((g1 - 1.0) / 0.1) ** 2 + ((g2 + 2.0) / 0.2) ** 2))
    grid = SimpleNamespace(z1=z, z2=z, prob=prob / prob.sum())
    (x0, x1), (y0, y1) = mass_window(grid, {"q": ([1.0, -2.0], [0.1, 0.2])})
    assert x0 < 1.0 - 0.4 and x1 > 1.0 + 0.4 and y0 < -2.0 - 0.4 and y1 > -2.0 + 0.4  # 2 sd of z2 and more
    assert x1 - x0 == pytest.approx(y1 - y0) and x1 - x0 < 2.0  # a quarter of the 8-wide grid
    (x0, x1), _ = mass_window(grid, {"q": ([1.0, -2.0], [0.1, 0.2]), "wide": ([0.0, 0.0], [1.0, 1.0])})
    assert x0 <= -2.0 and x1 >= 2.0  # every ellipse stays in view
