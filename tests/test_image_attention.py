"""Attention for images (vae/models/attention.py): the block's rows sum to 1 and it starts as the identity, where the
networks put it, what is refused and why, the command line, the form and a link, the Samples page's section and its
lesson table, and the shipped pair."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.conftest import tiny_config
from vae.analysis.explore import cell_weights, query_cell, uniform_beyond, weight_beyond_neighbours
from vae.cli import main
from vae.config.values import apply
from vae.errors import ConfigError
from vae.models.attention import SelfAttention2d, attention_block


def test_the_block_s_rows_sum_to_one_and_it_starts_as_the_identity():
    torch.manual_seed(0)
    block = SelfAttention2d(8, 2, (3, 4))
    h = torch.randn(5, 8, 3, 4)
    w = block.weights(h)
    assert w.shape == (5, 2, 12, 12) and torch.allclose(w.sum(-1), torch.ones(5, 2, 12), atol=1e-6)
    assert (w >= 0).all()
    assert torch.equal(block(h), h)  # gamma = 0
    with torch.no_grad():
        block.gamma.fill_(1.0)
    out = block(h)
    assert not torch.allclose(out, h)
    # by hand for one head: softmax(q k^T / sqrt(d)) v, the heads side by side, then W_o
    a = block.norm(h.flatten(2).transpose(1, 2)) + block.position
    q, k, v = block.qkv(a).chunk(3, -1)
    q0, k0, v0 = q[..., :4], k[..., :4], v[..., :4]
    att0 = torch.softmax(q0 @ k0.transpose(-1, -2) / 2.0, -1)
    assert torch.allclose(att0, w[:, 0], atol=1e-6)
    mixed = torch.cat([att0 @ v0, torch.softmax(q[..., 4:] @ k[..., 4:].transpose(-1, -2) / 2.0, -1) @ v[..., 4:]], -1)
    assert torch.allclose(out, h + block.out(mixed).transpose(1, 2).reshape(5, 8, 3, 4), atol=1e-5)


def test_a_far_cell_can_move_the_output_through_attention_and_not_through_a_convolution():
    """Cell (0, 0)'s output depends on cell (3, 3) through the block: the gradient a 3 x 3 convolution lacks."""
    torch.manual_seed(0)
    block = SelfAttention2d(4, 1, (4, 4))
    with torch.no_grad():
        block.gamma.fill_(1.0)
    h = torch.randn(1, 4, 4, 4, requires_grad=True)
    block(h)[0, :, 0, 0].sum().backward()
    assert float(h.grad[0, :, 3, 3].abs().sum()) > 0
    conv = torch.nn.Conv2d(4, 4, 3, padding=1)
    h.grad = None
    conv(h)[0, :, 0, 0].sum().backward()
    assert float(h.grad[0, :, 3, 3].abs().sum()) == 0


def test_the_reach_counts_the_weight_outside_the_neighbourhood_and_a_pixel_finds_its_cell():
    uniform = np.full(49, 1 / 49)
    assert math.isclose(weight_beyond_neighbours(uniform, (7, 7), 24), 40 / 49)  # the centre
    assert math.isclose(weight_beyond_neighbours(uniform, (7, 7), 0), 45 / 49)  # a corner has 4 neighbours
    assert math.isclose(uniform_beyond((7, 7)), 1 - (25 * 9 + 20 * 6 + 4 * 4) / 49**2)  # inside, edges, corners
    own = np.zeros(49)
    own[24] = 1
    assert weight_beyond_neighbours(own, (7, 7), 24) == 0
    assert query_cell((7, 7), (28, 28), (0, 0)) == 0 and query_cell((7, 7), (28, 28), (27, 27)) == 48
    assert query_cell((7, 7), (28, 28), (14, 3)) == 3 * 7 + 0
    w = np.random.default_rng(0).dirichlet(np.ones(4), size=(2, 4))  # (heads, N, N)
    assert np.allclose(cell_weights(w, 1), w[:, 1].mean(0)) and np.allclose(cell_weights(w, 1, 1), w[1, 1])


@pytest.mark.parametrize("arch", ["cnn", "resnet"])
def test_the_networks_put_the_block_at_the_coarsest_map(arch):
    from vae.training.trainer import make_model

    cfg = apply(tiny_config(), {"arch": arch, "hidden": [16, 32], "attention": 4}).validate()
    model = make_model(cfg, (1, 28, 28))
    enc, dec = attention_block(model.encoder), attention_block(model.decoder)
    assert enc.grid == (7, 7) and dec.grid == (7, 7) and enc.heads == 4
    assert enc.qkv.in_features == 32 and dec.qkv.in_features == 32  # the encoder's last and the decoder's first
    only = apply(tiny_config(), {"arch": arch, "hidden": [16, 32], "decoder_attention": 2}).validate()
    model = make_model(only, (1, 28, 28))
    assert attention_block(model.encoder) is None and attention_block(model.decoder).heads == 2


def test_attention_is_refused_where_it_does_not_apply_and_left_out_of_a_decoder_without_a_map():
    from vae.config.presets import PRESETS
    from vae.data.catalog import data_modality

    with pytest.raises(ConfigError, match="this encoder is mlp"):
        apply(tiny_config(), {"attention": 2}).validate()
    with pytest.raises(ConfigError, match="32 channels must divide into its 3 heads"):
        apply(tiny_config(), {"arch": "cnn", "hidden": [16, 32], "attention": 3}).validate()
    with pytest.raises(ConfigError, match="attention"):
        apply(tiny_config(), {"arch": "cnn", "attention": 9}).validate()
    with pytest.raises(ConfigError, match="leave out --decoder-attention"):
        apply(
            tiny_config(), {"arch": "cnn", "hidden": [16, 32], "decoder_arch": "mlp", "decoder_attention": 2}
        ).validate()
    pixel = apply(tiny_config(), {"arch": "cnn", "hidden": [16, 32], "attention": 2, "decoder_arch": "pixelcnn"})
    assert pixel.validate().encoder.attention == 2 and pixel.decoder.attention == 0  # the encoder's block only
    waves = apply(tiny_config(), PRESETS["waves: 1-D conv VAE"])
    waves.encoder.attention = 2  # past the form and the command line, which offer it for images only
    with pytest.raises(ConfigError, match="attention blocks are for image networks"):
        data_modality(waves.data)[0].check(waves.validate())


def test_a_model_with_attention_trains_reloads_and_shows_where_it_looks(tmp_path, capsys):
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import attention_reach, image_attention
    from vae.models.checkpoints import load_checkpoint

    out = tmp_path / "att.safetensors"
    flags = ["--dataset", "digits", "--arch", "cnn", "--hidden", "16", "32", "--attention", "2", "--epochs", "2"]
    assert main(["train", *flags, "--quiet", "--no-reports", "--out", str(out)]) == 0
    ck = load_checkpoint(out)
    assert float(attention_block(ck.model.encoder).gamma.abs()) > 0  # trained: the block moved off the identity
    x = checkpoint_split(ck, "test")[1]
    att = image_attention(ck.model, x[0])
    assert set(att.weights) == {"encoder", "decoder"} and att.grid["encoder"] == (2, 2)
    for w in att.weights.values():
        assert w.shape == (2, 4, 4) and np.allclose(w.sum(-1), 1, atol=1e-5)
    assert att.image["encoder"].shape == (1, 8, 8) and np.allclose(att.image["encoder"], x[0].numpy())
    reach = attention_reach(ck.model, x[:16])
    assert set(reach) == {"encoder", "decoder"}
    assert all(r["beyond"] == 0 and 1 <= r["cells"] <= 4 for r in reach.values())  # 2 x 2: all neighbours
    assert main(["info", str(out)]) == 0
    assert "attention" in capsys.readouterr().out


def test_the_form_offers_attention_for_conv_images_and_a_link_opens_it_in_chinese(app_dir, class_dir):
    from streamlit.testing.v1 import AppTest

    from tests.app_helpers import ROOT, open_app
    from ui.navigation import PAGE

    at = open_app("train")
    at.selectbox(key="dataset").select("mnist5k").run()
    assert at.number_input(key="attention").disabled is True  # an MLP has no feature map
    at.selectbox(key="arch").select("cnn").run()
    assert at.number_input(key="attention").disabled is False
    at.number_input(key="attention").set_value(4).run()
    assert any(c.value.startswith("Training takes about") for c in at.caption), [e.value for e in at.error]
    assert at.button(key="start").disabled is False

    link = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    link.context["locale"] = "zh-CN"
    link.query_params.update({"dataset": "mnist5k", "arch": "cnn", "attention": "2"})  # the CNN's widths unsaid
    link.run()
    link.switch_page(PAGE["train"]).run()
    assert not link.exception and not link.warning, [w.value for w in link.warning]
    assert link.selectbox(key="arch").value == "cnn" and link.number_input(key="attention").value == 2
    assert link.text_input(key="hidden").value == "32 64"  # the family's widths, not the MLP's 400 as channels
    assert any(c.value.startswith("训练时间") for c in link.caption)


def test_the_samples_page_shows_where_a_clicked_cell_looks_and_the_lesson_table(app_dir):
    """On the attention model (tiny, under its shipped name): both networks' panels, the chosen cell's weights
    summing to 1, a click on another cell moves the outline, and the lesson table beside the plain CNN."""
    from tests.app_helpers import arr, chart, open_app, tiny_shipped_models
    from ui.image_attention_view import PIXEL_KEY
    from vae.config.shipped import LESSONS

    roles = LESSONS["image attention"]
    tiny_shipped_models(app_dir, [r.model for r in roles.values()])
    at = open_app("samples", model="mnist5k-cnn-z16-attention")
    assert not at.exception, [e.message for e in at.exception]
    spec = chart(at, "img_att")
    heat = [t for t in spec["data"] if t["type"] == "heatmap" and t.get("colorscale") != "gray" and "opacity" in t]
    assert len(heat) == 2  # the encoder's and the decoder's
    for t in heat:
        assert math.isclose(float(arr(t["z"]).sum()), 1.0, rel_tol=1e-5)
    before = [s["x0"] for s in spec["layout"]["shapes"]]
    at.session_state[PIXEL_KEY] = (0, 0)
    at.run()
    after = [s["x0"] for s in chart(at, "img_att")["layout"]["shapes"]]
    assert before != after and all(x == -0.5 for x in after)
    table = next(d.value for d in at.dataframe if "attention heads" in d.value.columns)
    assert list(table["name"]) == [r.model for r in roles.values()]
    assert list(table["attention heads"]) == [0, 4]
    assert np.isfinite(table["-ELBO"]).all()
    assert at.button(key="img_att_open_cnn").label.startswith("CNN, no attention")


def test_the_shipped_attention_model_looks_beyond_its_neighbours():
    """The lesson's claim, on the shipped model: its blocks moved off the identity, each head looks at far fewer
    cells than uniform weights would (selective), and most of the weight lies where a 3 x 3 convolution at the
    7 x 7 grid cannot read (far)."""
    from pathlib import Path

    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import attention_reach
    from vae.config.shipped import LESSONS
    from vae.models.checkpoints import load_checkpoint, read_metadata

    root = Path(__file__).resolve().parent.parent / "checkpoints"
    path = root / f"{LESSONS['image attention']['attention'].model}.safetensors"
    assert read_metadata(path)["extra"]["reports"]["collapse"]["verdict"] == "healthy"
    ck = load_checkpoint(path)
    assert all(float(attention_block(getattr(ck.model, w)).gamma.abs()) > 0.01 for w in ("encoder", "decoder"))
    reach = attention_reach(ck.model, checkpoint_split(ck, "test")[1][:64])
    for r in reach.values():
        assert r["of"] == 49 and r["cells"] < 0.75 * r["of"] and r["beyond"] > 0.5, reach


def test_the_cost_estimate_counts_the_attention():
    """The server sizes an attention model by its work like any other: the block's products and its (N, N)
    weights add FLOPs and elements a step, and the estimate grows with them."""
    from vae.config import VAEConfig
    from vae.service.cost import count_work

    plain, att = (
        apply(VAEConfig(), {"dataset": "mnist5k", "arch": "cnn", "hidden": [32, 64], "attention": a}).validate()
        for a in (0, 4)
    )
    w0, w1 = count_work(plain, (1, 28, 28), 128), count_work(att, (1, 28, 28), 128)
    assert w1.flops > 1.2 * w0.flops and w1.elements > 2 * w0.elements and w1.parameters > w0.parameters


def test_a_map_too_large_to_attend_over_is_refused_in_training_and_in_a_checkpoint(tmp_path):
    """The block's weights grow as the square of its cells: a 64 x 64 picture after one stage (1,024 cells) is
    refused with what to do, and a checkpoint whose metadata asks for it is refused before anything is built."""
    import json

    from tests.test_checkpoints import _resave
    from vae.errors import CheckpointError
    from vae.models.checkpoints import SHAPE_KEY, load_checkpoint
    from vae.training.trainer import make_model

    big = apply(tiny_config(), {"arch": "cnn", "hidden": [16], "attention": 2}).validate()
    with pytest.raises(ConfigError, match="1024 cells .* over the 256 an attention block may read; add stages"):
        make_model(big, (1, 64, 64))
    assert attention_block(make_model(big, (1, 32, 32)).encoder).grid == (16, 16)  # 256 cells: the most
    out = tmp_path / "small.safetensors"
    flags = ["--dataset", "digits", "--arch", "cnn", "--hidden", "16", "--attention", "2", "--epochs", "1"]
    assert main(["train", *flags, "--quiet", "--no-reports", "--out", str(out)]) == 0
    big_shape = {SHAPE_KEY: json.dumps([1, 64, 64]), "modality": json.dumps({"kind": "image", "shape": [1, 64, 64]})}
    forged = _resave(out, tmp_path / "forged.safetensors", **big_shape)
    with pytest.raises(CheckpointError, match="cannot rebuild the model: .*1024 cells"):
        load_checkpoint(forged)
