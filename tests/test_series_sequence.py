"""Sequence networks on real-valued series: GRU, LSTM and Transformer encoders, and the autoregressive GRU, LSTM and
Transformer decoders (vae/models/series_sequence.py): causality, sampling against the scored density, the
command line, the diagnosis, the form and a link."""

from __future__ import annotations

import pytest
import torch

from tests.conftest import tiny_config
from vae.cli import main
from vae.config import LikelihoodConfig, NetworkConfig
from vae.config.values import apply
from vae.errors import ConfigError
from vae.models.likelihoods import make_likelihood
from vae.models.series_sequence import RecurrentSeriesDecoder, SeriesSequenceEncoder, TransformerSeriesDecoder

DECODERS = ("gru", "lstm", "transformer")


def decoder(arch: str, length=12, channels=1, params=1, latent=3, z_every_step=False, seed=0):
    torch.manual_seed(seed)
    hidden = [8, 8] if arch == "transformer" else [8]
    cfg = NetworkConfig(arch=arch, hidden=hidden, heads=2, z_every_step=z_every_step)
    cls = TransformerSeriesDecoder if arch == "transformer" else RecurrentSeriesDecoder
    return cls(cfg, latent, (channels, length), params * channels)


def gaussian(variance="fixed"):
    return make_likelihood(LikelihoodConfig(name="gaussian", variance=variance, sigma=0.05))


@pytest.mark.parametrize(
    "arch,channels,z_every_step", [("gru", 1, False), ("lstm", 2, True), ("transformer", 2, False)]
)
def test_step_t_sees_every_step_before_it_and_none_after(arch, channels, z_every_step):
    """The parameters of x_t have a gradient from x_1 .. x_{t-1} and from z, none from x_t or later."""
    length = 10
    dec = decoder(arch, length, channels, z_every_step=z_every_step)
    for t in range(length):
        x = torch.rand(1, channels, length, requires_grad=True)
        z = torch.randn(1, 3, requires_grad=True)
        dec(z, x)[0, :, t].sum().backward()
        seen = (x.grad.abs().sum(1)[0] != 0).nonzero().flatten().tolist()
        assert seen == list(range(t)), (arch, t, seen)
        assert z.grad.abs().sum() > 0


@pytest.mark.parametrize("arch", DECODERS)
def test_sampled_series_follow_the_density_the_decoder_scores(arch):
    """Draw many series for one z step by step; teacher forcing on the draws gives each step's Gaussian, and the
    standardised residuals (x_t - mu_t) / sigma_t are N(0, 1): the sampler draws from exp(log p)."""
    dec = decoder(arch, length=6)
    lik = gaussian()
    z = torch.randn(1, 3).expand(3000, 3)
    x = dec.sample(z, lik, torch.Generator().manual_seed(1))
    with torch.no_grad():
        mu, logvar = lik.split(dec(z, x))
    inside = ((x > 0) & (x < 1)).float()  # a draw is clamped to [0, 1]; the rest is a plain Gaussian draw
    r = ((x - mu) / torch.exp(0.5 * logvar)) * inside
    n = inside.sum((0, 1))
    mean, var = r.sum((0, 1)) / n, (r**2).sum((0, 1)) / n
    assert mean.abs().max() < 0.12 and (var.sqrt() - 1).abs().max() < 0.12, (mean, var)
    assert mu[:, 0, 1:].std(0).min() > 1e-4  # a later step's mean moves with the earlier draws


@pytest.mark.parametrize("arch", DECODERS)
def test_the_step_by_step_sampler_equals_teacher_forcing_on_its_own_draws(arch):
    """At temperature 0 each drawn step is the mean the whole-series pass gives it: the recurrent state carried
    from step to step (or the prefix read again) is the network that scores x."""
    dec = decoder(arch, length=15)
    lik = gaussian()
    z = torch.randn(3, 3)
    x = dec.sample(z, lik, temperature=0)
    with torch.no_grad():
        mu, _ = lik.split(dec(z, x))
    torch.testing.assert_close(x, mu.clamp(0, 1), atol=1e-5, rtol=0)
    assert torch.equal(dec.mean(z, lik), dec.mean(z, lik))  # the stand-in mean: a function of z alone


@pytest.mark.parametrize(
    "arch,knobs,width",
    [("gru", {}, 8), ("lstm", {"bidirectional": True}, 16), ("gru", {"pool": "mean"}, 8), ("transformer", {}, 8)],
)
def test_an_encoder_reads_every_step_of_the_series(arch, knobs, width):
    hidden = [8, 8] if arch == "transformer" else [8]
    enc = SeriesSequenceEncoder(NetworkConfig(arch=arch, hidden=hidden, heads=2, **knobs), (2, 16))
    assert enc.out_features == width
    x = torch.rand(4, 2, 16, requires_grad=True)
    h = enc(x)
    assert h.shape == (4, width)
    h[0].sum().backward()
    assert (x.grad[0].abs().sum(0) > 0).all()  # the first step and the last alike
    assert x.grad[1:].abs().sum() == 0  # and nothing of the other series


def waves(**knobs):
    from vae.config.presets import PRESETS

    base = {**PRESETS["waves: 1-D conv VAE"], "hidden": [8, 16], "latent_dim": 4, "epochs": 1, "batch_size": 64}
    return apply(tiny_config(), {**base, **knobs}).validate()


def test_series_take_every_sequence_family_and_refuse_what_cannot_work():
    from vae.config.presets import PRESETS
    from vae.data.catalog import data_modality

    preset = {k: v for k, v in PRESETS["waves: 1-D conv VAE"].items() if k != "hidden"}
    made = {}
    for knobs in ({"arch": "gru"}, {"arch": "transformer"}, {"arch": "cnn", "decoder_arch": "lstm"}):
        made[knobs.get("decoder_arch", knobs["arch"])] = cfg = apply(tiny_config(), {**preset, **knobs}).validate()
        data_modality(cfg.data)[0].check(cfg)
    assert made["gru"].encoder.hidden == made["gru"].decoder.hidden == [256]  # the family's own default width
    assert made["transformer"].encoder.hidden == [64, 64] and made["lstm"].decoder.hidden == [256]
    with pytest.raises(ConfigError, match="divide into its 3 heads"):
        waves(arch="transformer", hidden=[16, 16], heads=3)
    with pytest.raises(ConfigError, match="share one width"):
        waves(arch="gru", hidden=[8, 16])


@pytest.mark.parametrize(
    "flags",
    [
        ["--arch", "gru", "--hidden", "8", "--bidirectional", "--z-every-step"],
        ["--arch", "transformer", "--hidden", "8", "8", "--heads", "2"],
        ["--decoder-arch", "lstm", "--decoder-hidden", "8"],
    ],
)
def test_a_series_model_of_each_family_trains_samples_and_reloads(tmp_path, capsys, flags):
    from vae.models.checkpoints import load_checkpoint

    out = tmp_path / "s.safetensors"
    base = ["--preset", "waves: 1-D conv VAE", "--hidden", "8", "16", "--latent-dim", "3", "--epochs", "1"]
    assert main(["train", *base, *flags, "--quiet", "--out", str(out)]) == 0
    ck = load_checkpoint(out)
    arch = flags[1]
    assert (ck.config.encoder.arch if flags[0] == "--arch" else ck.config.decoder.arch) == arch
    assert ck.model.autoregressive  # the decoder mirrors a gru or transformer encoder; lstm is asked for
    x = ck.model.sample_prior(4)
    assert x.shape == (4, 1, 64) and 0 <= float(x.min()) and float(x.max()) <= 1
    assert ck.model.reconstruct(torch.rand(2, 1, 64)).shape == (2, 1, 64)
    assert main(["info", str(out)]) == 0
    assert arch in capsys.readouterr().out


def test_the_diagnosis_of_a_recurrent_series_decoder_offers_a_decoder_that_reads_z():
    from vae.analysis.diagnostics import diagnosis, remedies
    from vae.wording import explanation, remedy_title

    cfg = waves(decoder_arch="gru", decoder_hidden=[16])
    numbers = {"active_units": 0, "used_units": 0, "rate": 0.1, "mutual_info": 0.1, "mutual_info_max": 6.2}
    rep = {**numbers, "aggregate_num": 500, **diagnosis(cfg, "collapsed", 0.1), "verdict": "collapsed", "latent_dim": 4}
    text = explanation(rep)
    assert "(gru)" in text and "each step of the series" in text and "word dropout" not in text
    rs = remedies(cfg, "collapsed", rate=0.1)
    assert remedy_title(rs[0].__dict__) == "Weaker decoder"
    assert rs[0].changes == {"decoder.arch": "cnn", "decoder.hidden": [64, 32]}
    assert "word_dropout" not in [r.code for r in rs]  # tokens only: series have no <unk>
    fixed = apply(cfg, {"decoder_arch": "cnn", "decoder_hidden": [64, 32]}).validate()
    assert not fixed.decoder.arch == "gru"


def test_the_form_sets_up_a_gru_on_the_waves_and_a_link_a_transformer_in_chinese(app_dir, class_dir):
    """On the waves the Train form offers the sequence families, switches to their widths, sizes a GRU by the
    server's estimate and lets it start; a shared link with arch=transformer opens the same form in Chinese."""
    from streamlit.testing.v1 import AppTest

    from tests.app_helpers import ROOT, open_app
    from ui.navigation import PAGE

    at = open_app("train")
    at.selectbox(key="dataset").select("waves").run()
    at.selectbox(key="arch").select("gru").run()
    assert at.text_input(key="hidden").value == "256"
    assert at.checkbox(key="bidirectional").disabled is False and at.selectbox(key="pool").disabled is False
    at.text_input(key="hidden").input("32").run()
    assert any(c.value.startswith("Training takes about") for c in at.caption), [e.value for e in at.error]
    assert at.button(key="start").disabled is False
    at.selectbox(key="arch").select("cnn").run()
    assert at.checkbox(key="bidirectional").disabled is True  # a cnn has no state to read both ways

    link = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    link.context["locale"] = "zh-CN"
    link.query_params.update(
        {"dataset": "waves", "likelihood": "gaussian", "arch": "transformer", "hidden": "16 16", "heads": "2"}
    )
    link.run()
    link.switch_page(PAGE["train"]).run()
    assert not link.exception and not link.warning, [w.value for w in link.warning]
    assert link.selectbox(key="arch").value == "transformer"
    assert any(c.value.startswith("训练时间") for c in link.caption), [e.value for e in link.error]
    assert link.button(key="start").disabled is False


def test_the_encoder_page_compares_the_series_encoders_on_one_decoder(app_dir):
    """Below the gaps: the four waves models (tiny, under the shipped names) in one table with their families, the
    ELBO's gap to the IWAE bound, and one figure drawing each model's reconstruction over the same test series."""
    import numpy as np

    from tests.app_helpers import chart, open_app, tiny_shipped_models
    from vae.config.shipped import LESSONS

    roles = LESSONS["series encoders"]
    tiny_shipped_models(app_dir, [r.model for r in roles.values()])
    at = open_app("encoder", "waves-gru-z6")
    assert not at.exception, [e.message for e in at.exception]
    table = next(d.value for d in at.dataframe if "log p(x) - ELBO" in d.value.columns)
    assert list(table["name"]) == [r.model for r in roles.values()]
    assert list(table["encoder"]) == ["cnn", "gru", "transformer", "gru"]
    assert list(table["decoder"]) == ["cnn", "cnn", "cnn", "gru"]
    gap = table["-ELBO"] - table["-log p(x) (IWAE)"]
    np.testing.assert_allclose(table["log p(x) - ELBO"], gap, atol=1e-6)
    assert (table["log p(x) - ELBO"] > -0.5).all()  # the IWAE bound (k = 100) is at least the ELBO, up to noise
    fig = chart(at, "series_encoder_reconstructions")
    meta = fig["layout"]["meta"]
    assert list(meta["reconstructions"]) == [r.label for r in roles.values()]
    inputs = np.asarray(meta["inputs"])
    assert inputs.shape == (3, 64) and len(fig["data"]) == 3 * (1 + len(roles))
    for curves in meta["reconstructions"].values():
        assert np.asarray(curves).shape == (3, 64) and not np.allclose(curves, inputs)
    assert at.button(key="series_enc_open_cnn") and at.button(key="series_enc_train_transformer")
    at.button(key="series_enc_open_transformer").click().run()
    assert at.sidebar.selectbox(key="model").value == "waves-transformer-z6"


def test_the_shipped_series_encoders_show_what_the_lesson_says():
    """The lesson's paragraph reads the shipped models' stored reports: the CNN encoder's ELBO is the tightest by
    at least 20 nats with the smallest gap to the IWAE bound, and the GRU decoder leaves z unused."""
    from pathlib import Path

    from ui.series_encoder_lesson import inference_gap
    from vae.config.shipped import LESSONS
    from vae.models.checkpoints import read_metadata

    root = Path(__file__).resolve().parent.parent / "checkpoints"
    reps = {
        role: read_metadata(root / f"{r.model}.safetensors")["extra"]["reports"]["collapse"]
        for role, r in LESSONS["series encoders"].items()
    }
    neg_elbo = {role: rep["rate"] + rep["distortion"] for role, rep in reps.items()}
    for role in ("gru", "transformer"):
        assert neg_elbo[role] - neg_elbo["cnn"] > 20
        assert inference_gap(reps[role]) > inference_gap(reps["cnn"])
    assert reps["gru-decoder"]["rate"] < 0.1 and reps["gru-decoder"]["verdict"] == "collapsed"
