"""Every page for a model of token sequences (names): text where an image model shows pictures."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.app_helpers import chart, home_models, open_app

PAGES = ["home", "samples", "traversals", "latent_map", "collapse", "compare", "encoder", "disentanglement"]


@pytest.fixture
def names_app(app_dir, names_model):
    shutil.copy(names_model, app_dir / names_model.name)
    from vae.models.checkpoints import load_checkpoint

    return load_checkpoint(names_model)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_on_a_names_model(names_app, page):
    at = open_app(page, model="names-gru-z2")
    assert not at.exception


def texts_of(spec: dict) -> list[list[str]]:
    """The decoded strings of a text table figure (vae.figures.text), row by row."""
    return spec["layout"]["meta"]["texts"]


def test_reconstructions_and_samples_are_text(names_app):
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import reconstructions

    ck = names_app
    _, x, _, _ = checkpoint_split(ck, "test")
    at = open_app("samples", model="names-gru-z2")
    at.radio(key="rec_how").set_value("by index").run()
    at.text_input(key="rec_indices").input("3 1 4").run()
    rows = texts_of(chart(at, "reconstructions"))  # rows: inputs, most likely reconstructions, samples
    r = reconstructions(ck.model, x, [3, 1, 4], seed=0)
    assert rows[0] == [f"#{i}: {n}" for i, n in zip([3, 1, 4], ck.modality.show(x[[3, 1, 4]]))]
    assert rows[1] == [f"mean: {n}" for n in ck.modality.show(r.mean)]
    differ = ck.modality.errors(r.original, r.mean)
    said = f"Positions that differ between each input and its mean reconstruction: {differ.mean():.4g}"
    assert any(said in c.value for c in at.caption)
    samples = [t for row in texts_of(chart(at, "samples")) for t in row]
    assert len(samples) == 32 and all(set(t) <= set(ck.modality.vocab[3:]) | {"?"} for t in samples)
    at.slider(key="temperature").set_value(0.0).run()  # temperature 0: the most likely token, whatever the seed
    greedy = texts_of(chart(at, "samples"))
    at.number_input(key="sample_seed").set_value(5).run()
    assert texts_of(chart(at, "samples")) != greedy  # other z, other names
    at.toggle(key="nearest").set_value(True).run()
    pairs = texts_of(chart(at, "nearest_fig"))
    assert pairs[0][0].startswith("sample: ") and pairs[0][1].startswith("nearest, d=")


def test_traversal_interpolation_and_manifold_are_tables_of_names(names_app):
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import interpolation, posterior, traversal

    ck = names_app
    at = open_app("traversals", model="names-gru-z2")
    spec = chart(at, "traversal")
    trav = traversal(ck.model, kl_per_dim=ck.metrics["kl_per_dim"], span=3.0, steps=11, max_dims=2)
    rows = texts_of(spec)
    assert len(rows) == 11 and [r[0] for r in rows] == [f"{v:+.2f}" for v in trav.values]
    for d in range(2):  # a column of decoded names per dimension, most KL first
        assert [r[1 + d] for r in rows] == ck.modality.show(trav.images[d])
    assert len(spec["frames"]) == 11 and len(spec["layout"]["sliders"][0]["steps"]) == 11
    assert spec["data"][0]["header"]["values"][1].startswith(f"<b>z{trav.dims[0]} (KL")
    _, x, _, _ = checkpoint_split(ck, "test")
    mu, _ = posterior(ck.model, x[[0, 1]])
    rows = texts_of(chart(at, "interpolation"))
    assert [r[2] for r in rows] == ck.modality.show(interpolation(ck.model, mu[0], mu[1], 11).images)
    assert rows[0][1].startswith("#0") and rows[-1][1].startswith("#1")
    assert not [b for b in at.get("download_button")]  # PNG and GIF are for pictures
    grid = texts_of(chart(at, "manifold"))
    assert len(grid) == 15 and all(len(r) == 15 for r in grid)


def test_latent_map_names_the_point_under_the_pointer(names_app):
    from vae.analysis.evaluation import checkpoint_split

    ck = names_app
    _, x, _, _ = checkpoint_split(ck, "test")
    at = open_app("latent_map", model="names-gru-z2")
    scatter = chart(at, "map")
    for trace in scatter["data"]:
        index = np.asarray(trace["customdata"])[:, 0].astype(int) if isinstance(trace["customdata"], list) else None
        if index is None:
            from tests.app_helpers import arr

            index = arr(trace["customdata"])[:, 0].astype(int)
        assert list(trace["text"]) == ck.modality.show(x[index]) and "%{text}" in trace["hovertemplate"]
    at.text_input(key="map_indices").input("2 5").run()
    assert texts_of(chart(at, "picked_images"))[0] == [f"#2: {ck.modality.show(x[2])}", f"#5: {ck.modality.show(x[5])}"]
    assert len(chart(at, "picked_interpolation")["frames"]) == 11
    at.text_input(key="map_own_text").input("anna").run()
    assert texts_of(chart(at, "own_images"))[0] == ["your input: anna"]
    assert chart(at, "map")["data"][-1]["name"] != scatter["data"][-1]["name"]  # the typed name's star
    at.text_input(key="map_own_text").input("x" * 40).run()
    assert any("reads at most 12" in w.value for w in at.warning)


def test_encoder_page_takes_a_typed_name(names_app):
    from vae.analysis.evaluation import checkpoint_split

    ck = names_app
    _, x, _, _ = checkpoint_split(ck, "test")
    at = open_app("encoder", model="names-gru-z2")
    assert texts_of(chart(at, "enc_input")) == [[ck.modality.show(x[0])]]
    at.radio(key="enc_source").set_value("your own text").run()
    at.text_input(key="enc_own_text").input("zoë").run()
    assert texts_of(chart(at, "enc_input")) == [["zo?"]]  # ë is not among the names' letters
    assert any("'ë'" in c.value for c in at.caption)
    numbers = at.dataframe[0].value
    assert numbers.iloc[-1, 0] == "amortization gap" and numbers.iloc[-1, 1] >= -1e-3


def test_home_lists_a_token_model_with_its_networks(names_app):
    at = open_app("home")
    table = home_models(at)
    row = table[table["model"] == "names-gru-z2"].iloc[0]
    assert row["architecture"] == "gru 32 / mlp decoder 1x64" and row["dataset"] == "names"


def test_the_form_trains_a_names_model_and_previews_text(app_dir, class_dir):
    from tests.app_helpers import wait_until
    from vae.models.checkpoints import load_checkpoint

    at = open_app("train")
    assert "names" in at.selectbox(key="dataset").options and "gru" in at.selectbox(key="arch").options
    assert at.number_input(key="word_dropout").disabled  # a sequence knob, off for pictures
    at.selectbox(key="dataset").select("names").run()  # the networks and likelihood follow the kind of data
    assert at.selectbox(key="arch").value == "gru" and at.selectbox(key="likelihood").value == "categorical"
    assert at.text_input(key="hidden").value == "256"
    assert not at.number_input(key="word_dropout").disabled and at.selectbox(key="binarize").disabled
    assert any(c.value.startswith("Training takes about") for c in at.caption), [e.value for e in at.error]
    at.text_input(key="hidden").input("16")
    at.number_input(key="embedding").set_value(8)
    at.number_input(key="latent_dim").set_value(2)
    at.number_input(key="epochs").set_value(1)
    at.number_input(key="word_dropout").set_value(0.25)
    at.text_input(key="name").input("names-from-form")
    at.button(key="start").click().run()
    assert not at.error, [e.value for e in at.error]
    wait_until(at, lambda a: a.success)
    ck = load_checkpoint(class_dir / "names-from-form.safetensors")
    assert ck.modality.kind == "tokens" and ck.config.decoder.word_dropout == 0.25
    preview = texts_of(chart(at, "preview"))
    from vae.data.catalog import load_dataset

    names = ck.modality.show(load_dataset(ck.config.data).x_test[:8])
    assert preview[0] == [f"test: {n}" for n in names]  # the first test names, then their reconstructions
    at.selectbox(key="dataset").select("mnist5k").run()  # and back to pictures
    assert at.selectbox(key="arch").value == "mlp" and at.selectbox(key="likelihood").value == "bernoulli"


def test_a_text_file_is_uploaded_checked_and_trained(app_dir, class_dir):
    from tests.app_helpers import wait_until
    from vae.models.checkpoints import load_checkpoint

    at = open_app("train")
    at.selectbox(key="dataset").select("text").run()
    assert any("upload your text file first" in e.value for e in at.error) and at.button(key="start").disabled
    at.file_uploader(key="data_upload").upload("latin1.txt", "café\n".encode("latin-1") * 50).run()
    assert any(e.value.startswith("latin1.txt") and "UTF-8" in e.value for e in at.error), [e.value for e in at.error]
    assert not list((class_dir / "uploads").glob("*.txt"))  # a bad upload is not kept
    lines = [f"{w}\t{'short' if len(w) < 5 else 'long'}" for w in ("ab", "abc", "abcd", "abcde", "bcdea") * 20]
    at.file_uploader(key="data_upload").upload("words.txt", "\n".join(lines).encode()).run()
    assert any("Using your upload" in c.value for c in at.caption)
    at.text_input(key="hidden").input("8")
    at.number_input(key="embedding").set_value(4)
    at.number_input(key="epochs").set_value(1)
    at.text_input(key="name").input("my-words")
    at.button(key="start").click().run()
    wait_until(at, lambda a: a.success)
    ck = load_checkpoint(class_dir / "my-words.safetensors")
    assert ck.config.data.name == "text" and ck.modality.vocab[3:] == list("abcde")


def test_the_transformer_decoder_shows_where_it_looks(app_dir):
    import torch

    from tests.app_helpers import arr
    from tests.test_sequences import seq_config
    from vae.analysis.evaluation import checkpoint_split
    from vae.data.modality import Tokens
    from vae.data.names import LENGTH, VOCAB
    from vae.models.checkpoints import load_checkpoint, save_checkpoint
    from vae.models.vae import VAE

    torch.manual_seed(0)
    cfg = seq_config("gru", "transformer")
    cfg.decoder.hidden = [16, 16]  # two blocks
    save_checkpoint(app_dir / "names-transformer.safetensors", VAE(cfg.validate(), Tokens((LENGTH,), VOCAB)))
    ck = load_checkpoint(app_dir / "names-transformer.safetensors")
    _, x, _, _ = checkpoint_split(ck, "test")
    at = open_app("samples", model="names-transformer")
    at.number_input(key="att_example").set_value(3).run()
    at.slider(key="att_block").set_value(1).run()
    spec = chart(at, "attention")
    name = ck.modality.show(x[3])
    steps = len(name) + 1  # its letters and <end>
    self_map, cross_map = spec["data"]
    assert list(self_map["y"]) == [f"{t}: {c}" for t, c in enumerate([*name, "<end>"])]
    assert list(self_map["x"]) == [f"{t}: {c}" for t, c in enumerate(["<end>", *name])]  # what each step reads
    z = ck.model.encode(x[3:4]).mean
    self_w, cross_w = ck.model.decoder.attention(z, x[3:4])[0]  # block 1
    assert np.allclose(arr(self_map["z"]), self_w[0, :steps, :steps].detach().numpy(), atol=1e-5)
    assert np.allclose(arr(cross_map["z"]), cross_w[0, :steps].detach().numpy(), atol=1e-5)
    assert np.allclose(arr(self_map["z"]).sum(1), 1, atol=1e-5) and np.all(np.triu(arr(self_map["z"]), 1) == 0)
    assert "block 1" in spec["layout"]["title"]["text"]
