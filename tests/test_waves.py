"""Real-valued series: the waves data, the series networks, and every page and command for them."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from tests.app_helpers import arr, chart, open_app
from vae.config import DataConfig
from vae.config.values import apply
from vae.data.waves import WAVE_FACTORS
from vae.errors import ConfigError


def test_waves_hold_every_combination_of_their_factors():
    from vae.data.catalog import data_shape, load_dataset
    from vae.data.waves import LENGTH, WAVE_FACTORS, make_waves, waveform

    x, f = make_waves(repeats=1)
    assert x.shape == (800, 1, LENGTH) and 0 <= x.min() and x.max() <= 1
    assert len({tuple(r) for r in f}) == 800 == np.prod([len(v) for v in WAVE_FACTORS.values()])
    ds = load_dataset(DataConfig(name="waves"))
    assert data_shape(DataConfig(name="waves")) == ((1, LENGTH), len(ds.x_train), len(ds.x_test))
    assert ds.modality.kind == "series" and ds.factor_names == ["shape", "frequency", "amplitude", "phase"]
    assert ds.classes == ["sine", "square", "triangle", "sawtooth"]
    assert (ds.y_train.numpy() == ds.factors_train[:, 0]).all()  # labelled by shape
    a = np.linspace(0, 2 * np.pi, 9)[:-1]
    assert set(waveform("square", a).tolist()) == {1.0, -1.0} and waveform("triangle", np.array([np.pi]))[0] == 1.0
    s, fr, amp, ph = f[0]  # the first series is its formula plus noise of sd 0.02
    clean = 0.5 + WAVE_FACTORS["amplitude"][amp] * waveform(
        WAVE_FACTORS["shape"][s],
        2 * np.pi * WAVE_FACTORS["frequency"][fr] * np.arange(LENGTH) / LENGTH + WAVE_FACTORS["phase"][ph],
    )
    assert np.abs(x[0, 0] - clean).max() < 0.1


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
@pytest.mark.parametrize("variance", ["fixed", "per-pixel"])
def test_series_networks_score_every_step(arch, variance):
    from tests.conftest import tiny_config
    from vae.data.modality import Series
    from vae.models.vae import VAE

    cfg = apply(
        tiny_config(),
        {"dataset": "waves", "arch": arch, "hidden": [8, 16], "likelihood": "gaussian", "variance": variance},
    ).validate()
    model = VAE(cfg, Series((1, 64)))
    x = torch.rand(5, 1, 64)
    out = model(x)
    assert model.decode(out.z).shape == (5, 2 if variance == "per-pixel" else 1, 64)
    assert out.rec.shape == (5,) and model.decode_mean(out.z).shape == (5, 1, 64)
    x2 = x.clone()
    x2[:, :, -1] += 0.5  # the last step is scored too
    out2 = model.likelihood.log_prob(model.decode(out.z), x2)
    assert not torch.allclose(out2, -out.rec)


def test_series_settings_are_refused_with_a_reason():
    from tests.conftest import tiny_config
    from vae.data.modality import Series
    from vae.models.vae import VAE

    base = {"dataset": "waves", "likelihood": "gaussian"}
    with pytest.raises(ConfigError, match="does not read series data; choose one of mlp, cnn"):
        VAE(apply(tiny_config(), {**base, "arch": "resnet"}).validate(), Series((1, 64)))
    with pytest.raises(ConfigError, match="not defined for series"):
        VAE(apply(tiny_config(), {"dataset": "waves", "likelihood": "bernoulli"}).validate(), Series((1, 64)))
    with pytest.raises(ConfigError, match="divisible by 8"):
        VAE(apply(tiny_config(), {**base, "arch": "cnn", "hidden": [4, 4, 4]}).validate(), Series((1, 60)))


def test_a_waves_model_saves_loads_and_scores_its_factors(waves_model):
    from vae.analysis.disentanglement import disentanglement_scores
    from vae.analysis.evaluation import checkpoint_split, evaluate_full
    from vae.analysis.explore import posterior
    from vae.models.checkpoints import load_checkpoint

    ck = load_checkpoint(waves_model)
    assert ck.modality.kind == "series" and ck.x_shape == (1, 64)
    ds, x, _, factors = checkpoint_split(ck, "test")
    a = evaluate_full(ck.model, x, iwae_k=10, seed=1)
    assert np.isfinite(a["elbo"]) and a["iwae_nll"] <= a["elbo"] + 1e-4
    mu, _ = posterior(ck.model, x)
    s = disentanglement_scores(mu, factors, ds.factor_names)
    assert 0 <= s["mig"] <= 1 and set(s["factors"]) == set(ds.factor_names) and 0 <= s["dci"]["disentanglement"] <= 1


def test_the_command_line_draws_series_as_curves(waves_model, tmp_path):
    from PIL import Image

    from vae.cli import main

    assert main(["sample", str(waves_model), "--n", "4", "--out", str(tmp_path / "s.png")]) == 0
    im = np.asarray(Image.open(tmp_path / "s.png"))
    assert im.shape[0] > 40 and (im < 60).any() and (im > 200).any()  # dark curves on white
    assert main(["traverse", str(waves_model), "--steps", "5", "--out", str(tmp_path / "t.gif")]) == 0
    assert Image.open(tmp_path / "t.gif").n_frames == 5


def test_the_pages_show_curves_and_the_factors(app_dir, waves_model):
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import reconstructions, traversal
    from vae.models.checkpoints import load_checkpoint

    shutil.copy(waves_model, app_dir)
    ck = load_checkpoint(waves_model)
    _, x, _, _ = checkpoint_split(ck, "test")
    at = open_app("samples", model="waves-cnn-z4")
    at.radio(key="rec_how").set_value("by index").run()
    at.text_input(key="rec_indices").input("2 7").run()
    spec = chart(at, "reconstructions")
    r = reconstructions(ck.model, x, [2, 7], seed=0)
    shown = np.asarray(spec["layout"]["meta"]["values"])
    assert np.allclose(shown[:2], r.original, atol=1e-6) and np.allclose(shown[2:4], r.mean, atol=1e-5)
    assert any("Mean squared error between each input" in c.value for c in at.caption)
    at = open_app("traversals", model="waves-cnn-z4")
    spec = chart(at, "traversal")
    trav = traversal(ck.model, kl_per_dim=ck.metrics["kl_per_dim"], span=3.0, steps=11, max_dims=4)
    assert len(spec["frames"]) == 11 and np.allclose(spec["layout"]["meta"]["values"], trav.images[:, 0], atol=1e-5)
    last = spec["frames"][-1]["data"][0]["y"]  # the last offset's curves, cell by cell (NaN between cells)
    ys = arr(last).astype(float)
    assert np.allclose(ys[:64], trav.images[0, -1, 0], atol=1e-5)
    downloads = [b.label for b in at.get("download_button")]
    assert downloads == ["Download PNG", "Download GIF", "Download interpolation GIF"]
    at = open_app("disentanglement", model="waves-cnn-z4")
    assert not at.exception
    assert at.selectbox(key="dis_model").value == "waves-cnn-z4"  # the current model, not a sprites one
    heat = chart(at, "dis_mi")
    assert list(heat["data"][0]["y"]) == list(WAVE_FACTORS)  # the waves' factors, not the sprites'
    factors = next(d.value for d in at.dataframe if "factor" in d.value.columns)
    assert list(factors["factor"]) == list(WAVE_FACTORS)
    every = next(d.value for d in at.dataframe if "model" in d.value.columns and "MIG" in d.value.columns)
    assert "waves-cnn-z4" in list(every["model"])  # among every model with factors


def test_the_form_switches_to_series_networks(app_dir):
    at = open_app("train")
    at.selectbox(key="dataset").select("waves").run()
    assert at.selectbox(key="likelihood").value == "gaussian" and at.selectbox(key="arch").value == "mlp"
    assert at.selectbox(key="norm").disabled and not at.selectbox(key="variance").disabled
    assert any(c.value.startswith("Training takes about") for c in at.caption), [w.value for w in at.warning]


@pytest.mark.parametrize("page", ["home", "latent_map", "collapse", "compare", "encoder"])
def test_every_other_page_opens_on_a_waves_model(app_dir, waves_model, page):
    shutil.copy(waves_model, app_dir)
    at = open_app(page, model="waves-cnn-z4")
    assert not at.exception and not at.error, [e.value for e in at.error]


def write_series(path, rows: list[str]):
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_students_csv_of_series_is_read_scaled_and_bad_files_are_explained(tmp_path):
    from vae.data.catalog import data_modality, load_dataset
    from vae.errors import DataError

    t = np.arange(16)
    rows = [f"{'up' if k % 2 else 'down'}," + ",".join(f"{(k % 2 * 2 - 1) * v * 3:.1f}" for v in t) for k in range(20)]
    good = write_series(tmp_path / "mine.csv", rows)
    cfg = DataConfig(name="series", path=str(good))
    ds = load_dataset(cfg)
    x = torch.cat([ds.x_train, ds.x_test])
    assert x.shape == (20, 1, 16) and float(x.min()) == 0.0 and float(x.max()) == 1.0  # scaled to [0, 1] as one
    assert ds.classes == ["down", "up"] and data_modality(cfg)[0].shape == (1, 16)
    for name, content, said in [
        ("letters.csv", rows[:5] + ["a,b,c,d,e"] + rows[5:], "line(s) 6 hold a field that is not a finite number"),
        ("ragged.csv", rows + ["1,2,3,4,5"], "every series needs 16 values; the non-empty line(s) number 21 differ"),
        ("few.csv", rows[:3], "needs at least 10"),
        ("short.csv", ["1,2,3"] * 12, "a series has 3 values; 4 to 4096 are allowed"),
    ]:
        with pytest.raises(DataError, match=said.replace("(", r"\(").replace(")", r"\)")):
            load_dataset(DataConfig(name="series", path=str(write_series(tmp_path / name, content))))
    (tmp_path / "latin1.csv").write_bytes("é,1,2,3,4\n".encode("latin-1") * 12)
    with pytest.raises(DataError, match="not UTF-8"):
        load_dataset(DataConfig(name="series", path=str(tmp_path / "latin1.csv")))


def test_a_csv_of_series_is_uploaded_and_trained_from_the_form(app_dir, class_dir):
    from tests.app_helpers import wait_until
    from vae.models.checkpoints import load_checkpoint

    at = open_app("train")
    at.selectbox(key="dataset").select("series").run()
    assert at.selectbox(key="likelihood").value == "gaussian"
    at.file_uploader(key="data_upload").upload("bad.csv", b"1,2,x,4\n" * 12).run()
    assert any(e.value.startswith("bad.csv") and "line(s) 1, 2" in e.value for e in at.error)
    assert not list((class_dir / "uploads").glob("*.csv"))
    rows = [",".join(f"{np.sin(k + v / 3):.3f}" for v in range(32)) for k in range(40)]
    at.file_uploader(key="data_upload").upload("sines.csv", ("\n".join(rows)).encode()).run()
    assert any("Using your upload" in c.value for c in at.caption)
    at.text_input(key="hidden").input("16")
    at.number_input(key="epochs").set_value(1)
    at.text_input(key="name").input("my-series")
    at.button(key="start").click().run()
    wait_until(at, lambda a: a.success)
    ck = load_checkpoint(class_dir / "my-series.safetensors")
    assert ck.config.data.name == "series" and ck.modality.shape == (1, 32)
