"""The autoregressive (PixelCNN) decoder: masking, exact likelihood, sampling, settings, CLI, diagnosis."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from tests.conftest import tiny_config
from vae.cli import main
from vae.config import LikelihoodConfig, NetworkConfig, VAEConfig
from vae.config.values import apply
from vae.errors import ConfigError
from vae.models.likelihoods import make_likelihood
from vae.models.pixelcnn import PixelCNNDecoder, reach, receptive_field
from vae.models.vae import VAE


def decoder(shape=(1, 8, 8), hidden=(16, 16, 16), kernel=3, gated=False, out_per_pixel=1, latent=3, seed=0):
    torch.manual_seed(seed)
    cfg = NetworkConfig(arch="pixelcnn", hidden=list(hidden), kernel=kernel, gated=gated)
    return PixelCNNDecoder(cfg, latent, shape, out_per_pixel * shape[0])


@pytest.mark.parametrize("kernel,gated,bins", [(3, False, 1), (5, True, 1), (3, False, 4), (7, False, 1)])
def test_output_pixel_i_has_zero_gradient_from_every_input_pixel_j_at_or_after_i(kernel, gated, bins):
    dec = decoder((1, 9, 9), kernel=kernel, gated=gated, out_per_pixel=bins)
    z = torch.randn(1, 3)
    h, w = 9, 9
    for i in range(h * w):
        x = torch.rand(1, 1, h, w, requires_grad=True)
        out = dec(z, x)  # (1, bins, H, W)
        out[0, :, i // w, i % w].sum().backward()
        g = x.grad.flatten()
        assert torch.all(g[i:] == 0), f"pixel {i} sees a pixel at or after it"
        if i > 0:
            assert torch.any(g[:i] != 0)  # ...and does see the past


def test_a_colour_pixel_sees_every_channel_of_the_pixels_before_it_and_none_of_its_own():
    """Colour: x_i is the pixel's three values; every output channel of pixel i depends on all channels of the
    pixels before it and on no channel of pixel i or after it."""
    dec = decoder((3, 6, 6), out_per_pixel=1)
    z = torch.randn(1, 3)
    for i in range(36):
        x = torch.rand(1, 3, 6, 6, requires_grad=True)
        dec(z, x)[0, :, i // 6, i % 6].sum().backward()
        g = x.grad.flatten(2)[0]  # (C, pixels)
        assert torch.all(g[:, i:] == 0), f"pixel {i} sees itself or a later pixel"
        if i > 0:
            assert torch.all(g[:, :i].abs().sum(1) > 0)  # each channel of the past is seen


def test_colour_images_of_2_pixels_sum_to_probability_one():
    """The 64 binary colour images of 1 x 2 pixels: teacher forcing gives a normalised p(x|z), as it must when
    the three channels of a pixel are one step of the raster order."""
    dec = decoder((3, 1, 2), hidden=[8, 8], seed=2)
    with torch.no_grad():
        for p in dec.parameters():
            p.mul_(6)
    lik = make_likelihood(LikelihoodConfig("bernoulli"))
    xs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=6))).view(-1, 3, 1, 2)
    with torch.no_grad():
        logp = lik.log_prob(dec(torch.randn(1, 3).expand(64, 3), xs), xs)
    assert logp.exp().sum().item() == pytest.approx(1.0, abs=1e-5)


def test_receptive_field_counts_the_pixels_a_real_decoder_depends_on():
    for layers, kernel in [(1, 3), (3, 3), (2, 5), (5, 3)]:
        dec = decoder((1, 28, 28), hidden=[8] * layers, kernel=kernel)
        x = torch.rand(1, 1, 28, 28, requires_grad=True)
        dec(torch.randn(1, 3), x)[0, 0, 20, 14].backward()
        rf = receptive_field(layers, kernel)
        assert int((x.grad != 0).sum()) == rf["pixels"]
        rows = (x.grad[0, 0] != 0).any(1).nonzero().flatten()
        assert (
            20 - int(rows.min())
            == rf["rows_up"]
            == reach(layers, kernel)
            == (kernel + 4) // 2 + (layers - 1) * (kernel // 2)
        )
    assert receptive_field(1, 3)["pixels"] == 3 * 7 + 3  # one 7x7 type-A layer: three rows above, three to the left


def all_binary_images(h, w):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=h * w))).view(-1, 1, h, w)


def test_sampled_2x2_images_match_exp_log_p_within_statistical_tolerance():
    dec = decoder((1, 2, 2), hidden=[8, 8], seed=3)
    with torch.no_grad():
        for p in dec.parameters():
            p.mul_(8)  # a peaked, far-from-uniform distribution
    lik = make_likelihood(LikelihoodConfig("bernoulli"))
    z = torch.randn(1, 3, generator=torch.Generator().manual_seed(1))
    xs = all_binary_images(2, 2)
    with torch.no_grad():
        logp = lik.log_prob(dec(z.expand(16, 3), xs), xs)
    p = logp.exp().numpy()
    assert p.sum() == pytest.approx(1.0, abs=1e-5)  # exact normalisation by teacher forcing
    n = 20_000
    draws = dec.sample(z.expand(n, 3), lik, torch.Generator().manual_seed(0))
    codes = (draws.flatten(1) * torch.tensor([8.0, 4.0, 2.0, 1.0])).sum(1).long().numpy()
    freq = np.bincount(codes, minlength=16) / n
    sd = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(freq - p) < 5 * sd + 1e-4), (freq, p)
    assert p.max() > 0.15 and p.min() < 0.02  # the test would notice a sampler that ignored the model


@pytest.mark.parametrize(
    "shape,hidden,kernel", [((1, 12, 10), [8, 8, 8], 3), ((1, 9, 9), [8, 8], 5), ((3, 6, 7), [8, 8], 3)]
)
def test_the_cropped_sampler_equals_the_full_network_at_every_pixel(shape, hidden, kernel):
    """At temperature 0 every pixel is the mode of p(x_i | x_<i, z) computed on the whole image."""
    dec = decoder(shape, hidden=hidden, kernel=kernel, seed=1)
    with torch.no_grad():
        for p in dec.parameters():
            p.mul_(4)  # larger weights: modes that depend on the earlier pixels, not all 0 or all 1
    lik = make_likelihood(LikelihoodConfig("bernoulli"))
    z = torch.randn(5, 3)
    x = dec.sample(z, lik, temperature=0.0)
    with torch.no_grad():
        full = dec(z, x)
    assert torch.equal(x, (full > 0).float())
    assert 0 < x.mean() < 1


def test_categorical_and_gaussian_likelihoods_score_and_sample():
    for lk in (LikelihoodConfig("categorical", bins=4), LikelihoodConfig("gaussian", variance="per-pixel")):
        cfg = apply(tiny_config(likelihood=lk), {"decoder_arch": "pixelcnn", "decoder_hidden": [8, 8]}).validate()
        m = VAE(cfg, (1, 8, 8))
        x = torch.rand(4, 1, 8, 8)
        out = m(x)
        assert out.rec.shape == (4,) and torch.isfinite(out.rec).all()
        s = m.sample_x(torch.randn(3, 4), torch.Generator().manual_seed(0))
        assert s.shape == (3, 1, 8, 8) and 0 <= s.min() and s.max() <= 1
        if lk.name == "categorical":
            assert set(np.unique(s.numpy() * 3).round(4)) <= {0.0, 1.0, 2.0, 3.0}


def test_impossible_settings_are_refused_with_what_to_do():
    base = tiny_config()
    cases = [
        ({"arch": "pixelcnn"}, "autoregressive decoder"),
        ({"decoder_arch": "pixelcnn", "decoder_hidden": [16, 32]}, "one channel count"),
        ({"decoder_arch": "pixelcnn", "decoder_kernel": 4}, "must be odd"),
        ({"decoder_arch": "pixelcnn", "decoder_norm": "layer"}, "see the pixels after it"),
    ]
    for values, message in cases:
        with pytest.raises(ConfigError, match=message):
            apply(base, values).validate()
    cfg = apply(base, {"decoder_arch": "pixelcnn"}).validate()
    with pytest.raises(ConfigError, match="needs x"):
        VAE(cfg, (1, 8, 8)).decode(torch.zeros(1, 4))


def test_decoder_arch_switches_to_pixelcnn_defaults_and_an_encoder_width_does_not_leak_into_it():
    cfg = apply(VAEConfig(), {"decoder_arch": "pixelcnn", "hidden": [512]}).validate()
    assert cfg.encoder.hidden == [512] and cfg.decoder.hidden == [32] * 5 and cfg.decoder.kernel == 3


def test_iwae_and_elbo_are_finite_and_ordered_for_a_pixelcnn_model():
    from vae.analysis.evaluation import evaluate_full
    from vae.training.trainer import train

    r = train(apply(tiny_config(train__epochs=2), {"decoder_arch": "pixelcnn", "decoder_hidden": [8, 8]}).validate())
    x = torch.rand(300, 1, 8, 8).bernoulli()
    m = evaluate_full(r.model, x, iwae_k=10)
    assert m["iwae_num"] == 300 and math.isfinite(m["iwae_nll"])
    assert m["iwae_nll"] <= m["elbo"] + 1.0
    assert evaluate_full(r.model, x, iwae_k=500)["iwae_num"] == 100  # bounded work for an autoregressive model


def test_the_diagnosis_names_the_decoder_and_offers_a_weaker_one():
    from vae.analysis.diagnostics import diagnosis, remedies
    from vae.config.values import from_dotted
    from vae.wording import explanation, remedy_reason, remedy_title

    cfg = apply(
        VAEConfig(), {"decoder_arch": "pixelcnn", "decoder_hidden": [32] * 6, "decoder_kernel": 5, "latent_dim": 16}
    ).validate()
    numbers = {
        "active_units": 2,
        "used_units": 2,
        "rate": 1.2,
        "mutual_info": 1.0,
        "mutual_info_max": 6.2,
        "aggregate_num": 500,
    }
    text = explanation({**numbers, **diagnosis(cfg, "partial", 1.2), "verdict": "partial", "latent_dim": 16})
    assert "models x without z" in text and "beta = 1" in text
    rs = remedies(cfg, "partial", rate=1.2)
    assert remedy_title(rs[0].__dict__) == "Weaken the decoder: fewer layers or a smaller kernel"
    assert rs[0].changes == {"decoder.hidden": [32] * 3, "decoder.kernel": 3}
    assert "14 rows up; with 5" in remedy_reason(rs[0].__dict__)  # 9x9 then five 5x5: 4 + 5*2; 7x7 then two 3x3: 3 + 2
    assert from_dotted(rs[0].changes) == {"decoder_hidden": [32] * 3, "decoder_kernel": 3}
    assert any(r.code == "free_bits" for r in rs)
    # the same low rate with an MLP decoder at beta 1: the old advice, no pixelcnn remedy
    mlp = apply(VAEConfig(), {"latent_dim": 16}).validate()
    assert "without z" not in explanation(
        {**numbers, **diagnosis(mlp, "partial", 1.2), "verdict": "partial", "latent_dim": 16}
    )
    assert all(r.code != "weaken_pixelcnn" for r in remedies(mlp, "partial", rate=1.2))


# ------------------------------------------------------------------ command line
TINY_PC = [
    "--dataset",
    "digits",
    "--hidden",
    "32",
    "--latent-dim",
    "3",
    "--epochs",
    "1",
    "--batch-size",
    "64",
    "--device",
    "cpu",
    "--quiet",
    "--decoder-arch",
    "pixelcnn",
    "--decoder-hidden",
    "8",
    "8",
    "--decoder-kernel",
    "5",
    "--decoder-gated",
]


@pytest.fixture(scope="module")
def pixelcnn_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("pc") / "pc.safetensors"
    assert main(["train", *TINY_PC, "--out", str(out)]) == 0
    return out


def test_cli_flags_reach_the_saved_configuration(pixelcnn_checkpoint):
    from vae.models.checkpoints import read_metadata

    dec = read_metadata(pixelcnn_checkpoint)["config"]["decoder"]
    assert dec["arch"] == "pixelcnn" and dec["hidden"] == [8, 8] and dec["kernel"] == 5 and dec["gated"] is True


def test_sample_png_gif_and_from_example(pixelcnn_checkpoint, tmp_path, capsys):
    png, gif = tmp_path / "s.png", tmp_path / "s.gif"
    assert main(["sample", str(pixelcnn_checkpoint), "--n", "9", "--seed", "3", "--out", str(png)]) == 0
    said = capsys.readouterr().out
    assert "9 samples" in said and "pixel by pixel" in said and "prior" in said
    assert Image.open(png).size == (16 * (3 * 8 + 4 * 2), 16 * (3 * 8 + 4 * 2))  # a 3x3 make_grid, 2-px padding, 16x
    assert (
        main(
            [
                "sample",
                str(pixelcnn_checkpoint),
                "--n",
                "4",
                "--from-example",
                "5",
                "--temperature",
                "0.5",
                "--out",
                str(gif),
            ]
        )
        == 0
    )
    assert "posterior of example 5" in capsys.readouterr().out
    im = Image.open(gif)
    assert im.n_frames == 8  # the fill-in: one frame per row of 8x8 digits
    im.seek(0)
    first = np.asarray(im.convert("L"), dtype=float)
    im.seek(7)
    last = np.asarray(im.convert("L"), dtype=float)
    assert not np.array_equal(first, last)


def test_sample_is_reproducible_by_seed_and_works_for_an_mlp_decoder(digits_checkpoint, tmp_path, capsys):
    a, b, c = (tmp_path / f"{n}.png" for n in "abc")
    for out, seed in ((a, 1), (b, 1), (c, 2)):
        assert main(["sample", str(digits_checkpoint), "--n", "16", "--seed", str(seed), "--out", str(out)]) == 0
    assert "one pass" in capsys.readouterr().out
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_sample_refuses_bad_requests(digits_checkpoint, tmp_path, capsys):
    for args, message in [
        (["--n", "0"], "--n must be"),
        (["--temperature", "-1"], "--temperature"),
        (["--from-example", "99999"], "out of range"),
        (["--out", str(tmp_path / "x.jpg")], ".png"),
    ]:
        argv = ["sample", str(digits_checkpoint), "--out", str(tmp_path / "s.png"), *args]
        assert main(argv) == 2
        assert message in capsys.readouterr().err


def test_diagnose_json_of_a_pixelcnn_model(pixelcnn_checkpoint, capsys):
    args = ["--iwae-k", "5", "--iwae-examples", "50", "--gaps-examples", "10", "--json"]  # q*: a pass per step
    assert main(["diagnose", str(pixelcnn_checkpoint), *args]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["iwae_num"] == 50 and rep["iwae_k"] == 5 and math.isfinite(rep["iwae_nll"])
    assert rep["inference_gaps"]["num"] == 10 and math.isfinite(rep["inference_gaps"]["amortization_gap"])
