"""A flow in the decoder (vae/models/flow_decoder.py): the change of variables against autograd's Jacobian, the
flow's inverse, the start as the Gaussian decoder, sampling, the command line, the refusals, the form, a link and
the Strong decoders page's section."""

from __future__ import annotations

import math

import pytest
import torch

from tests.conftest import tiny_config
from vae.cli import main
from vae.config import LikelihoodConfig, NetworkConfig
from vae.config.values import apply
from vae.data.modality import Series
from vae.errors import ConfigError
from vae.models.flow_decoder import FlowSeriesDecoder
from vae.models.likelihoods import make_likelihood
from vae.models.series import SeriesDecoder


def flow_decoder(cfg: NetworkConfig, latent: int, modality: Series, out_channels: int) -> FlowSeriesDecoder:
    return FlowSeriesDecoder(SeriesDecoder(cfg, latent, modality, out_channels), cfg, latent, modality)


def flow(length=8, channels=1, couplings=3, latent=2, seed=0, variance="learned", data_range="0,1"):
    """A small flow decoder whose couplings are switched on (gates away from 0), and its Gaussian likelihood."""
    torch.manual_seed(seed)
    dec = flow_decoder(
        NetworkConfig(arch="flow", hidden=[6], couplings=couplings), latent, Series((channels, length)), channels
    ).double()
    with torch.no_grad():
        for c in dec.couplings:
            c.gate.copy_(torch.tensor([0.8, 0.5]).view(2, 1, 1))
            for p in c.out.parameters():
                p.normal_(0, 0.5)
    like = make_likelihood(LikelihoodConfig(name="gaussian", variance=variance, sigma=0.1, data_range=data_range))
    return dec, like.double()


@pytest.mark.parametrize("data_range", ["0,1", "-1,1"])
def test_the_density_is_the_base_at_the_inverse_plus_the_log_jacobian_autograd_computes(data_range):
    """log p(x|z) = log N(f^-1(x'); mu(z), sigma^2) + log |det d f^-1 / dx'|, the determinant from the full
    Jacobian of f^-1 that autograd builds (not the couplings' triangular shortcut)."""
    dec, like = flow(length=8, channels=2, data_range=data_range)
    z, x = torch.randn(3, 2, dtype=torch.float64), torch.rand(3, 2, 8, dtype=torch.float64)
    got = dec.log_prob(z, x, like).detach()
    lo, hi = like.lo, like.hi
    for i in range(3):
        xr = lo + (hi - lo) * x[i : i + 1]
        zi = z[i : i + 1]
        jac = torch.autograd.functional.jacobian(lambda v, zi=zi: dec.inverse(v.view(1, 2, 8), zi)[0].flatten(), xr)
        logdet = torch.linalg.slogdet(jac.reshape(16, 16))[1]
        u = dec.inverse(xr, z[i : i + 1])[0]
        mu, logvar = like.split(dec.base(z[i : i + 1]))
        base = (-0.5 * ((u - mu) ** 2 * torch.exp(-logvar) + logvar + math.log(2 * math.pi))).sum()
        assert float(got[i]) == pytest.approx(float(base + logdet), abs=1e-9)
        assert abs(float(logdet)) > 0.1  # the couplings do change the volume


def test_the_flow_inverts_and_starts_as_the_gaussian_decoder():
    dec, like = flow()
    z, u = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 1, 8, dtype=torch.float64)
    back, logdet = dec.inverse(dec.push(u, z), z)
    assert torch.allclose(back, u, atol=1e-10) and (logdet != 0).all()
    fresh = flow_decoder(NetworkConfig(arch="flow", hidden=[6], couplings=4), 2, Series((1, 8)), 1).double()
    x = torch.rand(4, 1, 8, dtype=torch.float64)
    assert torch.allclose(fresh.log_prob(z, x, like), like.log_prob(fresh(z), x))  # the gates start at 0
    assert torch.allclose(fresh.mean(z, like), like.mean(fresh(z)))


def test_draws_are_the_base_draws_carried_through_the_flow():
    dec, like = flow()
    z = torch.randn(5, 2, dtype=torch.float64)
    x = dec.sample(z, like, torch.Generator().manual_seed(3), temperature=1.0)
    mu, logvar = like.split(dec.base(z))
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(3), dtype=mu.dtype)
    assert torch.allclose(x, dec.push(mu + torch.exp(0.5 * logvar) * eps, z).clamp(0, 1))
    assert torch.allclose(dec.sample(z, like, temperature=0.0), dec.mean(z, like).clamp(0, 1))  # T = 0: f(mu)


def test_a_flow_decoder_trains_scores_samples_and_reloads(tmp_path, capsys):
    from vae.analysis.evaluation import evaluate_full
    from vae.models.checkpoints import load_checkpoint

    out = tmp_path / "f.safetensors"
    flags = ["--preset", "waves: flow decoder", "--hidden", "8", "16", "--latent-dim", "3", "--epochs", "2"]
    assert main(["train", *flags, "--decoder-couplings", "2", "--quiet", "--no-reports", "--out", str(out)]) == 0
    ck = load_checkpoint(out)
    assert ck.config.decoder.arch == "flow" and len(ck.model.decoder.couplings) == 2
    assert any(float(c.gate.abs().sum()) > 0 for c in ck.model.decoder.couplings)  # trained: the flow moved
    x = torch.rand(6, 1, 64)
    m = evaluate_full(ck.model, x, iwae_k=10, seed=0)
    assert math.isfinite(m["elbo"]) and m["iwae_nll"] <= m["elbo"] + 1e-3  # IWAE scores by the flow's density
    with torch.no_grad():
        step = ck.model(x)  # the training step's -log p(x|z) is the flow's, not the base Gaussian's
        assert torch.allclose(step.rec, -ck.model.log_px_z(step.z, x))
        assert not torch.allclose(step.rec, -ck.model.likelihood.log_prob(step.params, x))
    s = ck.model.sample_prior(4)
    assert s.shape == (4, 1, 64) and 0 <= float(s.min()) and float(s.max()) <= 1
    assert main(["info", str(out)]) == 0
    assert "flow" in capsys.readouterr().out


def test_the_flow_decoder_is_refused_where_it_does_not_apply():
    from vae.config.presets import PRESETS
    from vae.data.catalog import data_modality

    cfg = apply(tiny_config(), {"decoder_arch": "flow"}).validate()
    with pytest.raises(ConfigError, match="does not read image data"):
        data_modality(cfg.data)[0].check(cfg)
    waves = apply(tiny_config(), {**PRESETS["waves: flow decoder"], "hidden": [8, 8, 8, 8, 8, 8, 8]}).validate()
    with pytest.raises(ConfigError, match="divisible by 128"):
        data_modality(waves.data)[0].check(waves)
    with pytest.raises(ConfigError, match="couplings"):
        apply(tiny_config(), {**PRESETS["waves: flow decoder"], "decoder_couplings": 0}).validate()


def test_the_form_offers_the_flow_decoder_for_series_and_a_link_opens_it_in_chinese(app_dir, class_dir):
    from streamlit.testing.v1 import AppTest

    from tests.app_helpers import ROOT, open_app
    from ui.navigation import PAGE

    at = open_app("train")
    assert at.number_input(key="decoder_couplings").disabled is True  # not a flow decoder
    at.selectbox(key="dataset").select("waves").run()
    at.selectbox(key="decoder_arch").select("flow").run()
    assert at.number_input(key="decoder_couplings").disabled is False
    at.number_input(key="decoder_couplings").set_value(2).run()
    assert any(c.value.startswith("Training takes about") for c in at.caption), [e.value for e in at.error]
    assert at.button(key="start").disabled is False
    at.selectbox(key="dataset").select("mnist5k").run()  # pictures: no flow decoder
    assert at.selectbox(key="decoder_arch").value != "flow"

    link = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    link.context["locale"] = "zh-CN"
    link.query_params.update(
        {"dataset": "waves", "likelihood": "gaussian", "decoder_arch": "flow", "decoder_couplings": "3"}
    )
    link.run()
    link.switch_page(PAGE["train"]).run()
    assert not link.exception and not link.warning, [w.value for w in link.warning]
    assert link.selectbox(key="decoder_arch").value == "flow" and link.number_input(key="decoder_couplings").value == 3
    assert any(c.value.startswith("训练时间") for c in link.caption)
    assert link.button(key="start").disabled is False


def test_the_strong_decoders_page_compares_the_flow_decoder_with_the_gaussian(app_dir):
    """Below WaveNet: both waves models (tiny, under the shipped names) in one table with their couplings and what
    their draws add to the mean, and one draw of each over the same test series."""
    import numpy as np

    from tests.app_helpers import chart, open_app, tiny_shipped_models
    from vae.config.shipped import LESSONS

    roles = LESSONS["flow decoder"]
    tiny_shipped_models(app_dir, [r.model for r in roles.values()])
    at = open_app("strong_decoders")
    assert not at.exception, [e.message for e in at.exception]
    table = next(d.value for d in at.dataframe if "noise correlation a step apart" in d.value.columns)
    assert list(table["name"]) == [r.model for r in roles.values()]
    assert list(table["couplings"]) == [0, 4]
    lag1 = dict(zip(table["name"], table["noise correlation a step apart"]))
    assert abs(lag1["waves-cnn-z6-learned"]) < 0.1  # a Gaussian per step
    assert np.isfinite(table["-ELBO"]).all() and (table["noise sd"] > 0).all()
    meta = chart(at, "flow_decoder_draws")["layout"]["meta"]
    draws = {k: np.asarray(v) for k, v in meta["reconstructions"].items()}
    assert len(draws) == 2 and all(d.shape == (3, 64) for d in draws.values())
    assert all(0 <= d.min() and d.max() <= 1 for d in draws.values())
    assert at.button(key="flow_dec_open_flow").label.startswith("flow decoder")


def test_the_shipped_flow_decoder_shows_what_the_lesson_says():
    """The lesson's paragraph, on the shipped pair: the flow decoder's IWAE -log p(x) is at least 3 nats below the
    Gaussian decoder's at no more rate, and its draws' noise is correlated a step apart where the Gaussian's is not."""
    from pathlib import Path

    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import draw_noise
    from vae.config.shipped import LESSONS
    from vae.models.checkpoints import load_checkpoint, read_metadata

    root = Path(__file__).resolve().parent.parent / "checkpoints"
    paths = {role: root / f"{r.model}.safetensors" for role, r in LESSONS["flow decoder"].items()}
    reps = {role: read_metadata(p)["extra"]["reports"]["collapse"] for role, p in paths.items()}
    assert reps["flow"]["iwae_nll"] < reps["cnn"]["iwae_nll"] - 3
    assert reps["flow"]["rate"] <= reps["cnn"]["rate"] and reps["flow"]["verdict"] == "healthy"
    noise = {}
    for role, p in paths.items():
        ck = load_checkpoint(p)
        x = checkpoint_split(ck, "test")[1][:64]
        noise[role] = draw_noise(ck.model, x)
    assert noise["flow"]["lag1"] > 0.2 and abs(noise["cnn"]["lag1"]) < 0.05
