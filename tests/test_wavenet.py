"""The autoregressive decoder of series (WaveNet): causality, the receptive field, sampling against the scored
density, settings, the command line and the diagnosis."""

from __future__ import annotations

import pytest
import torch

from tests.conftest import tiny_config
from vae.cli import main
from vae.config import LikelihoodConfig, NetworkConfig, VAEConfig
from vae.config.values import apply
from vae.errors import ConfigError
from vae.models.likelihoods import make_likelihood
from vae.models.wavenet import WaveNetDecoder, receptive_field


def decoder(length=16, hidden=(8, 8, 8), kernel=2, gated=False, channels=1, params=1, latent=3, seed=0):
    torch.manual_seed(seed)
    cfg = NetworkConfig(arch="wavenet", hidden=list(hidden), kernel=kernel, gated=gated)
    return WaveNetDecoder(cfg, latent, (channels, length), params * channels)


@pytest.mark.parametrize("hidden,kernel,gated,channels", [((8, 8, 8), 2, False, 1), ((8,) * 4, 3, True, 2)])
def test_step_t_has_no_gradient_from_step_t_or_later_and_sees_its_receptive_field(hidden, kernel, gated, channels):
    """No gradient from later steps (nor from x_t itself); exactly the receptive_field() steps before t are seen."""
    length = 40
    dec = decoder(length, hidden, kernel, gated, channels)
    field = receptive_field(len(hidden), kernel)
    z = torch.randn(1, 3)
    for t in range(length):
        x = torch.rand(1, channels, length, requires_grad=True)
        dec(z, x)[0, :, t].sum().backward()
        seen = (x.grad.abs().sum(1)[0] != 0).nonzero().flatten().tolist()
        assert all(s < t for s in seen), f"step {t} sees {seen}"
        assert seen == list(range(max(0, t - field), t)), (t, seen, field)


def test_the_receptive_field_doubles_with_each_layer():
    assert [receptive_field(n, 2) for n in range(1, 7)] == [2, 4, 8, 16, 32, 64]
    assert receptive_field(5, 3) == 63  # the default decoder: about a waves series (64 steps)


def test_sampled_series_follow_the_density_the_decoder_scores():
    """Draw many series for one z step by step; teacher forcing on the draws gives each step's Gaussian, and the
    standardised residuals (x_t - mu_t) / sigma_t of every step are N(0, 1): the sampler draws from exp(log p)."""
    dec = decoder(length=6, hidden=(8, 8), kernel=2)
    lik = make_likelihood(LikelihoodConfig(name="gaussian", variance="fixed", sigma=0.05))
    z = torch.randn(1, 3).expand(4000, 3)
    g = torch.Generator().manual_seed(1)
    x = dec.sample(z, lik, g)
    with torch.no_grad():
        mu, logvar = lik.split(dec(z, x))
    r = (x - mu) / torch.exp(0.5 * logvar)
    assert r.mean((0, 1)).abs().max() < 0.1
    assert (r.std((0, 1)) - 1).abs().max() < 0.1
    # and the steps depend on each other through the decoder: a later step's mean moves with the earlier draw
    assert mu[:, 0, 1:].std(0).min() > 1e-4


def test_the_cropped_sampler_equals_the_full_network_at_every_step():
    """Sampling runs the stack on the last receptive-field steps only; at temperature 0 each drawn step is the
    mean the full network gives it on the whole drawn series."""
    dec = decoder(length=30, hidden=(8, 8, 8), kernel=2)  # a field of 8 steps, well short of 30
    lik = make_likelihood(LikelihoodConfig(name="gaussian", variance="fixed", sigma=0.05))
    z = torch.randn(3, 3)
    x = dec.sample(z, lik, temperature=0)
    with torch.no_grad():
        mu, _ = lik.split(dec(z, x))
    torch.testing.assert_close(x, mu.clamp(0, 1), atol=1e-6, rtol=0)


def test_a_mean_is_a_function_of_z_alone():
    dec = decoder()
    lik = make_likelihood(LikelihoodConfig(name="gaussian", variance="fixed", sigma=0.05))
    z = torch.randn(2, 3)
    assert torch.equal(dec.mean(z, lik), dec.mean(z, lik))


def waves_config(**knobs):
    from vae.config.presets import PRESETS

    base = {**PRESETS["waves: 1-D conv VAE"], "hidden": [8, 16], "latent_dim": 4, "epochs": 1, "batch_size": 64}
    return apply(tiny_config(), {**base, **knobs}).validate()


def test_wavenet_is_a_series_decoder_and_impossible_settings_are_refused_with_what_to_do():
    cfg = waves_config(decoder_arch="wavenet")
    assert cfg.decoder.hidden == [32] * 5 and cfg.encoder.arch == "cnn"  # the family's own defaults
    from vae.data.catalog import data_modality

    modality = data_modality(cfg.data)[0]
    modality.check(cfg)
    with pytest.raises(ConfigError, match="share one channel count"):
        waves_config(decoder_arch="wavenet", decoder_hidden=[16, 32])
    with pytest.raises(ConfigError, match="at least 2 steps"):
        waves_config(decoder_arch="wavenet", decoder_kernel=1)
    with pytest.raises(ConfigError, match="does not read image data"):
        image = apply(VAEConfig(), {"decoder_arch": "wavenet"}).validate()
        data_modality(image.data)[0].check(image)
    with pytest.raises(ConfigError):
        apply(VAEConfig(), {"arch": "wavenet"}).validate()  # a decoder only


def test_a_wavenet_model_trains_scores_samples_and_reloads(tmp_path, capsys):
    from vae.models.checkpoints import load_checkpoint

    out = tmp_path / "wn.safetensors"
    flags = ["--preset", "waves: 1-D conv VAE", "--decoder-arch", "wavenet", "--decoder-hidden", "8", "8", "8"]
    assert main(["train", *flags, "--epochs", "1", "--latent-dim", "3", "--quiet", "--out", str(out)]) == 0
    ck = load_checkpoint(out)
    assert ck.config.decoder.arch == "wavenet" and ck.model.autoregressive and ck.model.pixel_by_pixel
    assert ck.config.decoder.hidden == [8, 8, 8]
    x = ck.model.sample_prior(5)
    assert x.shape == (5, 1, 64) and 0 <= float(x.min()) and float(x.max()) <= 1
    assert main(["info", str(out)]) == 0
    assert "wavenet" in capsys.readouterr().out


def test_the_diagnosis_names_the_decoder_and_offers_a_shorter_field():
    from vae.analysis.diagnostics import diagnosis, remedies
    from vae.wording import explanation, remedy_reason, remedy_title

    cfg = waves_config(decoder_arch="wavenet", decoder_hidden=[16] * 6, decoder_kernel=2)
    numbers = {
        "active_units": 0,
        "used_units": 0,
        "rate": 0.4,
        "mutual_info": 0.3,
        "mutual_info_max": 6.2,
        "aggregate_num": 500,
    }
    text = explanation({**numbers, **diagnosis(cfg, "collapsed", 0.4), "verdict": "collapsed", "latent_dim": 4})
    assert "wavenet" in text and "without z" in text
    rs = remedies(cfg, "collapsed", rate=0.4)
    assert remedy_title(rs[0].__dict__) == "Weaken the decoder: fewer layers"
    assert rs[0].changes == {"decoder.hidden": [16] * 3}
    assert "the 64 steps before it; with 8" in remedy_reason(rs[0].__dict__)


def test_the_strong_decoders_page_shows_the_series_lesson(app_dir):
    """Beside the pixelcnn lesson: the four waves models (tiny, under the shipped names) in one table with their
    receptive fields, and a grid of curves per model, rows z and columns step-by-step draws."""
    import numpy as np

    from tests.app_helpers import arr, chart, open_app, tiny_shipped_models
    from vae.config.shipped import LESSONS

    roles = LESSONS["series decoders"]
    tiny_shipped_models(app_dir, [r.model for r in roles.values()])
    at = open_app("strong_decoders")
    assert not at.exception, [e.message for e in at.exception]
    table = next(d.value for d in at.dataframe if "receptive field" in d.value.columns and "name" in d.value.columns)
    assert list(table["name"]) == [r.model for r in roles.values()]
    fields = dict(zip(table["name"], table["receptive field"]))
    assert fields["waves-cnn-z6-learned"] == "none (steps independent given z)"
    assert fields["waves-wavenet-z6-short"] == "4 steps before"  # two causal layers of kernel 2
    assert fields["waves-wavenet-z6"] == "63 steps before"
    for role in roles:
        grid = chart(at, f"series_grid_{role}")
        values = np.asarray(grid["layout"]["meta"]["values"])
        assert values.shape == (9, 1, 64)  # 3 z x 3 draws, one channel of 64 steps
        assert np.isfinite(arr(grid["data"][0]["y"])[~np.isnan(arr(grid["data"][0]["y"]))]).all()
    cnn = np.asarray(chart(at, "series_grid_cnn")["layout"]["meta"]["values"]).reshape(3, 3, 64)
    assert np.allclose(cnn[:, 0], cnn[:, 1])  # not autoregressive: drawn as its mean, the same in every column
    wavenet = np.asarray(chart(at, "series_grid_wavenet")["layout"]["meta"]["values"]).reshape(3, 3, 64)
    assert not np.allclose(wavenet[:, 0], wavenet[:, 1])  # step by step: each draw its own


def test_the_form_and_a_link_set_up_a_wavenet_on_the_waves_in_both_languages(app_dir, class_dir):
    """The Train form offers wavenet for series, switches to its widths, sizes it by the server's estimate and
    lets it start; a shared link with decoder_arch=wavenet opens the same form, in Chinese too."""
    from streamlit.testing.v1 import AppTest

    from tests.app_helpers import ROOT, open_app
    from ui.navigation import PAGE

    at = open_app("train")
    at.selectbox(key="dataset").select("waves").run()
    assert "wavenet" in at.selectbox(key="decoder_arch").options
    at.selectbox(key="decoder_arch").select("wavenet").run()
    assert at.text_input(key="decoder_hidden").value == "32 32 32 32 32"
    assert any(c.value.startswith("Training takes about") for c in at.caption), [e.value for e in at.error]
    assert at.button(key="start").disabled is False
    at.selectbox(key="dataset").select("mnist5k").run()  # pictures: wavenet does not read them
    assert at.selectbox(key="decoder_arch").value != "wavenet"

    for locale, estimate in (("en-US", "Training takes about"), ("zh-CN", "训练时间")):
        link = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        link.context["locale"] = locale
        link.query_params.update(
            {"dataset": "waves", "likelihood": "gaussian", "decoder_arch": "wavenet", "decoder_kernel": "2"}
        )
        link.run()
        link.switch_page(PAGE["train"]).run()
        assert not link.exception and not link.warning, [w.value for w in link.warning]
        assert link.selectbox(key="decoder_arch").value == "wavenet"
        assert any(c.value.startswith(estimate) for c in link.caption)
        assert link.button(key="start").disabled is False
