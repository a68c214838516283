"""The modality seam: what an image is, which networks read it, how it is shown and compared."""

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from tests.conftest import tiny_config
from vae.config import LikelihoodConfig, NetworkConfig
from vae.data.embedded import load_digits
from vae.data.modality import Image, modality_from_json
from vae.errors import CheckpointError, ConfigError
from vae.models.checkpoints import SHAPE_KEY, load_checkpoint, save_checkpoint
from vae.models.vae import VAE


def test_an_image_knows_its_shape_and_size():
    m = load_digits().modality
    assert m == Image((1, 8, 8)) and m.numel == 64 and m.to_json() == {"kind": "image", "shape": [1, 8, 8]}
    with pytest.raises(ConfigError, match=r"\(C, H, W\)"):
        Image((8, 8))


def test_a_pixelcnn_decoder_reads_grey_and_colour_images():
    cfg = tiny_config(decoder=NetworkConfig(arch="pixelcnn", hidden=[8, 8], norm="none"))
    for c in (1, 3):  # a colour pixel's three values are one step of the raster order (vae/models/pixelcnn.py)
        model = VAE(cfg, (c, 8, 8))
        x = torch.rand(2, c, 8, 8)
        assert torch.isfinite(model.likelihood.log_prob(model.decode(torch.zeros(2, 4), x), x)).all()


def test_a_family_the_modality_does_not_list_is_refused():
    class GreyOnlyMlp(Image):
        encoder_families = ("mlp",)

    with pytest.raises(ConfigError, match=r"encoder.arch='cnn' does not read image data; choose one of mlp"):
        GreyOnlyMlp((1, 8, 8)).check(tiny_config(encoder=NetworkConfig(arch="cnn", hidden=[8])))


def test_show_draws_grey_and_colour_pictures():
    grey = Image.show(np.full((2, 1, 3, 4), 0.5))
    rgb = Image.show(np.random.rand(2, 3, 3, 4))
    assert grey.shape == (2, 3, 4) and grey.dtype == np.uint8 and (grey == 128).all()
    assert rgb.shape == (2, 3, 4, 3)


def test_distance_is_euclidean_over_pixels():
    a, b = torch.rand(3, 1, 4, 4), torch.rand(5, 1, 4, 4)
    ref = np.sqrt(((a.numpy().reshape(3, 1, -1) - b.numpy().reshape(1, 5, -1)) ** 2).sum(-1))
    assert np.allclose(Image.distance(a, b).numpy(), ref, atol=1e-5)


def test_a_checkpoint_records_its_modality_and_old_files_without_it_load(tmp_path):
    model = VAE(tiny_config(), (1, 8, 8))
    path = save_checkpoint(tmp_path / "m.safetensors", model)
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    assert json.loads(meta["modality"]) == {"kind": "image", "shape": [1, 8, 8]}
    old = dict(meta)
    del old["modality"]  # as written before the seam
    save_file(load_file(str(path)), str(tmp_path / "old.safetensors"), metadata=old)
    assert load_checkpoint(tmp_path / "old.safetensors").modality == Image((1, 8, 8))
    assert modality_from_json({"image_shape": [1, 8, 8]}) == Image((1, 8, 8))


def test_a_modality_that_disagrees_with_the_image_shape_is_refused(tmp_path):
    path = save_checkpoint(tmp_path / "m.safetensors", VAE(tiny_config(), (1, 8, 8)))
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    for bad, why in (
        (json.dumps({"kind": "image", "shape": [3, 8, 8]}), "disagrees"),
        (json.dumps({"kind": "smell", "shape": [1]}), "unknown modality"),
        ("{", "not readable"),
    ):
        save_file(load_file(str(path)), str(tmp_path / "bad.safetensors"), metadata={**meta, "modality": bad})
        with pytest.raises(CheckpointError, match=why):
            load_checkpoint(tmp_path / "bad.safetensors")


def test_an_old_file_whose_stored_shape_is_not_an_image_is_refused_with_the_reason(tmp_path):
    path = save_checkpoint(tmp_path / "m.safetensors", VAE(tiny_config(), (1, 8, 8)))
    with safe_open(str(path), "pt") as f:
        meta = {k: v for k, v in f.metadata().items() if k != "modality"}  # as written before the seam
    for shape, why in (
        ([1, 8, 99999], r"of 1 to 4096 each"),
        ([8, 8], r"\(C, H, W\)"),
        (["1", 8, 8], "a list of whole numbers"),
        ([True, 8, 8], "a list of whole numbers"),
        ("1x8x8", "a list of whole numbers"),
    ):
        save_file(
            load_file(str(path)), str(tmp_path / "bad.safetensors"), metadata={**meta, SHAPE_KEY: json.dumps(shape)}
        )
        with pytest.raises(CheckpointError, match="stored shape is not readable: .*" + why):
            load_checkpoint(tmp_path / "bad.safetensors")


# one small model of every kind of data and decoder family: (modality, configuration changes)
def _kinds():
    from vae.data.modality import SPECIALS, Series, Tokens

    names = Tokens((6,), [*SPECIALS, "a", "b", "c"])
    seq = dict(encoder=NetworkConfig(arch="gru", hidden=[8]), likelihood=LikelihoodConfig(name="categorical"))
    wave = dict(likelihood=LikelihoodConfig(name="gaussian"))
    return [
        ("image mlp", Image((1, 8, 8)), {}),
        ("image cnn", Image((1, 8, 8)), dict(decoder=NetworkConfig(arch="cnn", hidden=[8]))),
        ("image pixelcnn", Image((1, 8, 8)), dict(decoder=NetworkConfig(arch="pixelcnn", hidden=[8, 8], norm="none"))),
        ("tokens gru", names, dict(seq, decoder=NetworkConfig(arch="gru", hidden=[8]))),
        ("tokens transformer", names, dict(seq, decoder=NetworkConfig(arch="transformer", hidden=[8], heads=2))),
        ("tokens mlp", names, dict(seq, decoder=NetworkConfig(arch="mlp", hidden=[8]))),
        ("series mlp", Series((1, 16)), wave),
        ("series cnn", Series((1, 16)), dict(wave, decoder=NetworkConfig(arch="cnn", hidden=[8]))),
    ]


@pytest.mark.parametrize("name, modality, over", _kinds(), ids=[k[0] for k in _kinds()])
def test_every_decoder_keeps_the_declared_interface(name, modality, over):
    """Whatever x is, the decoder is a DecoderNet: one ``sample`` and one ``mean`` that give x's shape in its
    range, its sizes declared; only a pixelcnn draws pixel by pixel."""
    from vae.models.networks import DecoderNet

    cfg = tiny_config(**over)
    cfg.data.binarize = "none"
    model = VAE(cfg.validate(), modality).eval()
    assert isinstance(model.decoder, DecoderNet)
    assert model.autoregressive == (cfg.decoder.arch in ("pixelcnn", "gru", "lstm", "transformer"))
    assert model.pixel_by_pixel == (cfg.decoder.arch == "pixelcnn")
    assert 0 < model.decoder.output_numel <= model.decode_numel
    z = torch.randn(3, cfg.latent_dim)
    g = torch.Generator().manual_seed(0)
    for x in (model.sample_x(z, generator=g, temperature=0.5, top_k=2), model.decode_mean(z)):
        assert tuple(x.shape) == (3, *modality.shape)
        if modality.textual:
            assert x.dtype == torch.long and int(x.max()) < modality.vocab_size
        else:
            assert 0 <= float(x.min()) and float(x.max()) <= 1
    assert torch.equal(model.decode_mean(z), model.decode_mean(z))  # a function of z alone
    out = model(modality.example_batch(3, g))  # the ELBO's terms score what sample_x draws
    assert out.rec.shape == (3,) and torch.isfinite(out.rec).all()


def test_every_kind_of_data_has_its_networks_and_its_figures():
    """A new modality is one class in vae.data.modality, an entry in NETWORKS and one in FIGURES: a kind
    missing from either is caught here, not on the page that first draws it."""
    from vae.data.modality import MODALITIES
    from vae.figures.examples import FIGURES
    from vae.models.vae import NETWORKS

    assert set(NETWORKS) == set(FIGURES) == set(MODALITIES)
