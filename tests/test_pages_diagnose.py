"""The Diagnose section: posterior collapse, compare, strong decoders, disentanglement (AppTest).

Each test drives widgets and asserts what the page shows: values in the figure JSON,
numbers in tables and metrics, and the messages given for bad input.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.app_helpers import arr, chart, images_in, lesson_text_models, open_app, wait_until
from ui.navigation import PAGE
from vae import wording
from vae.models.checkpoints import load_checkpoint, read_metadata


def test_collapse_page_shows_the_verdict_numbers_and_remedies(app_dir):
    from vae.analysis.diagnostics import collapse_report
    from vae.analysis.evaluation import checkpoint_split

    at = open_app("collapse", model="digits-z4-collapsed")
    ck = load_checkpoint(app_dir / "digits-z4-collapsed.safetensors")
    _, x, _, _ = checkpoint_split(ck, "test")
    rep = collapse_report(ck.model, x, iwae_k=100, seed=ck.config.train.seed)
    assert rep["verdict"] == "collapsed"
    assert any("COLLAPSED" in e.value for e in at.error)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["rate R = KL (nats)"] == f"{rep['rate']:.2f}"
    assert metrics["units used"] == f"{rep['used_units']} / 4"
    assert np.allclose(
        sorted(arr(chart(at, "kl_bars")["data"][0]["y"]), reverse=True),
        sorted(rep["kl_per_dim"], reverse=True),
        atol=1e-6,
    )
    assert chart(at, "active_units")["layout"]["yaxis"]["type"] == "log"
    heat = chart(at, "kl_heatmap")
    assert len(arr(heat["data"][0]["x"])) == len(ck.history)

    titles = [wording.remedy_title(r) for r in rep["remedies"]]
    at.button(key=f"remedy_{titles.index('Free bits')}").click().run()
    assert at.number_input(key="free_bits").value == 0.5  # the Train page, pre-filled
    assert at.number_input(key="beta").value == 200.0 and at.number_input(key="latent_dim").value == 4
    assert at.text_input(key="name").value == "digits-z4-collapsed-free-bits"
    assert at.sidebar.selectbox(key="model").value == "digits-z4-collapsed"  # the model being fixed stays current
    assert any("free bits = 0.5" in c.value for c in at.caption)  # a folded knob the remedy set


def test_healthy_model_has_no_remedies(app_dir):
    at = open_app("collapse", model="digits-z2")
    assert any("HEALTHY" in s.value for s in at.success)
    assert not [b for b in at.button if b.key and b.key.startswith("remedy_")]


def test_compare_plane_sweep_and_disentanglement(app_dir, class_dir):
    at = open_app("compare", model="digits-z2")
    rd = chart(at, "rd")
    names = rd["data"][0]["text"]
    assert sorted(names) == ["digits-z2", "digits-z4-collapsed"]  # the current model's data only
    assert any("1 model(s) of other data or another likelihood are left out" in c.value for c in at.caption)
    meta = read_metadata(app_dir / "digits-z2.safetensors")
    i = names.index("digits-z2")
    assert arr(rd["data"][0]["x"])[i] == pytest.approx(meta["metrics"]["kl"])
    assert arr(rd["data"][0]["y"])[i] == pytest.approx(meta["metrics"]["reconstruction"])
    table = at.dataframe[-1].value
    assert list(table["model"]) == ["sprites-z4"] and 0 <= table["MIG"][0] <= 1

    at.multiselect(key="sweep_betas").set_value([0.5, 4.0])
    at.number_input(key="sweep_epochs").set_value(2)
    at.button(key="sweep_start").click().run()
    new = {class_dir / "digits-z2-beta0.5.safetensors", class_dir / "digits-z2-beta4.safetensors"}
    wait_until(at, lambda a: all(p.exists() for p in new) and len(chart(a, "rd")["data"][0]["text"]) == 4, timeout=90)
    assert load_checkpoint(class_dir / "digits-z2-beta4.safetensors").config.objective.beta == 4.0
    # the same of the latent size: one run per d_z picked, the rest of the configuration the current model's
    at.radio(key="sweep_knob").set_value("latent_dim").run()
    at.multiselect(key="sweep_latent_dims").set_value([1, 4])
    at.button(key="sweep_start").click().run()
    new = {class_dir / f"digits-z2-latent_dim{d}.safetensors": d for d in (1, 4)}
    wait_until(at, lambda a: all(p.exists() for p in new), timeout=90)
    for path, d in new.items():
        cfg = load_checkpoint(path).config
        assert (
            cfg.latent_dim == d
            and cfg.train.epochs == 2
            and cfg.encoder.hidden == load_checkpoint(app_dir / "digits-z2.safetensors").config.encoder.hidden
        )
    # the learning rate: a run that blows up says so, with its step, in the sweep's table
    at.radio(key="sweep_knob").set_value("lr").run()
    at.multiselect(key="sweep_lrs").set_value([1e-3, 1e-1])
    at.button(key="sweep_start").click().run()
    done, high = class_dir / "digits-z2-lr0.001.safetensors", class_dir / "digits-z2-lr0.1.safetensors"

    def lr_rows(a):
        tables = [d.value for d in a.dataframe if "sweep" in d.value.columns]
        return tables[0][tables[0]["sweep"] == "the learning rate"] if tables else None

    def ended(a):
        rows = lr_rows(a)
        return rows is not None and len(rows) == 2 and set(rows["state"]) <= {"done", "failed"}

    wait_until(at, lambda a: done.exists() and ended(a), timeout=90)
    at.run()
    rows = lr_rows(at).set_index("model")
    assert rows.loc["digits-z2-lr0.1", "value"] == 0.1 and load_checkpoint(done).config.train.lr == 1e-3
    runs, crosses = chart(at, "sweep_chart")["data"]  # the lr sweep's runs only, against the learning rate
    assert runs["name"] == "digits-z2"  # one line per model swept
    assert arr(runs["x"])[0] == 1e-3 and arr(runs["y"])[0] == pytest.approx(
        load_checkpoint(done).history[-1]["test_elbo"]
    )
    if not high.exists():  # a run that blew up says where, and nothing was saved
        assert "diverged at step" in rows.loc["digits-z2-lr0.1", "result"]
        assert list(crosses["text"])[0].startswith("diverged at step")


def test_a_gaussian_model_gets_a_plane_and_a_table_of_its_own(app_dir, class_dir):
    """A Gaussian model of the same digits sat at distortion -260 on everybody's plane and squashed the Bernoulli
    models into one blob; Home listed its -ELBO beside theirs. Nats compare only within a data set and a kind of
    likelihood: its own plane, its own table, and the reader's own run starred."""
    from vae.config.values import apply
    from vae.models.checkpoints import save_checkpoint
    from vae.models.vae import VAE

    ck = load_checkpoint(app_dir / "digits-z2.safetensors")
    model = VAE(apply(ck.config, {"likelihood": "gaussian", "variance": "learned"}), ck.modality)
    model.load_state_dict(ck.model.state_dict(), strict=False)  # the same networks, a Gaussian p(x|z)
    dense = save_checkpoint(
        class_dir.parent / "dense.safetensors", model, ck.history, {**ck.metrics, "reconstruction": -260.0}
    )
    at = open_app("compare", model="digits-z2")
    at.sidebar.file_uploader(key="upload").upload("dense.safetensors", dense.read_bytes()).run()  # now yours
    assert not at.error, [e.value for e in at.error]
    at.sidebar.selectbox(key="model").select("digits-z2").run()
    names = chart(at, "rd")["data"][0]["text"]
    assert sorted(names) == ["digits-z2", "digits-z4-collapsed"]  # the Bernoulli plane keeps its scale
    assert min(arr(chart(at, "rd")["data"][0]["y"])) > 0
    at.sidebar.selectbox(key="model").select("dense").run()
    rd = chart(at, "rd")["data"][0]
    assert rd["text"] == ["★ dense"] and rd["marker"]["symbol"] == ["star"] and rd["customdata"][0][0] == "dense"
    assert any("a density (Gaussian)" in c.value for c in at.caption)
    at.switch_page(PAGE["home"]).run()
    headings = [m.value for m in at.markdown if m.value.startswith("**`digits`**")]
    assert len(headings) == 2 and any("density" in h for h in headings)
    tables = [t.value for t in at.table]
    dense_table = next(t for t in tables if "dense" in list(t["model"]))
    assert list(dense_table["model"]) == ["dense"] and dense_table["★"].iloc[0] == "★"


def test_strong_decoders_lesson_compares_the_models_and_opens_the_fix(app_dir, pixelcnn_model):
    import shutil

    from vae.analysis.diagnostics import collapse_report
    from vae.analysis.evaluation import checkpoint_split

    shutil.copy(pixelcnn_model, app_dir)
    at = open_app("strong_decoders")
    at.selectbox(key="sd_mlp").select("digits-z2").run()
    at.selectbox(key="sd_pixelcnn").select("digits-z4-pixelcnn").run()
    at.selectbox(key="sd_fix").select("digits-z4-collapsed").run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["model"]) == ["digits-z2", "digits-z4-pixelcnn", "digits-z4-collapsed"]
    ck = load_checkpoint(pixelcnn_model)
    _, x, _, _ = checkpoint_split(ck, "test")
    rep = collapse_report(ck.model, x, iwae_k=100, seed=ck.config.train.seed)
    row = table.iloc[1]
    assert row["decoder"] == "pixelcnn 8-8" and row["receptive field"] == "4 rows up"
    assert row["rate (KL)"] == pytest.approx(rep["rate"]) and row["-log p(x) (IWAE)"] == pytest.approx(rep["iwae_nll"])
    assert row["active units"] == f"{rep['active_units']}/4"
    assert table.iloc[0]["receptive field"].startswith("none")
    # the grid: rows x seeds images per model; the pixelcnn's pictures are samples (binary pixels)
    at.slider(key="sd_rows").set_value(3).run()
    at.slider(key="sd_cols").set_value(4).run()
    for role in ("mlp", "pixelcnn", "fix"):
        grid = chart(at, f"grid_{role}")
        assert images_in(grid) == 12
    from vae.analysis.explore import seed_grid

    _, imgs = seed_grid(ck.model, 3, 4, 0)
    assert set(np.unique(imgs)) <= {0.0, 1.0} and imgs.shape == (3, 4, 1, 8, 8)
    assert any("within a row" in c.value for c in at.caption)
    # the fix opens Train with the pixelcnn's settings and free bits
    at.button(key="fix_train_with_free_bits_0_5").click().run()
    assert at.number_input(key="free_bits").value == 0.5
    assert at.selectbox(key="decoder_arch").value == "pixelcnn"
    assert at.text_input(key="decoder_hidden").value == "8 8"
    assert any("Receptive field" in c.value and "4 rows up" in c.value for c in at.caption)


def test_disentanglement_page_shows_which_latent_holds_which_factor_and_trains_the_preset(app_dir):
    from ui.training_queue import training_queue
    from vae.analysis.reports import model_disentanglement
    from vae.data import load_dataset

    at = open_app("disentanglement")
    at.selectbox(key="dis_model").select("sprites-z4").run()
    assert not at.exception, [e.message for e in at.exception]
    ck = load_checkpoint(app_dir / "sprites-z4.safetensors")
    ds = load_dataset(ck.config.data)
    s = model_disentanglement(ck.model, ds)  # what the page shows: the codes of both splits
    heat = chart(at, "dis_mi")["data"][0]
    assert np.allclose(arr(heat["z"]), np.asarray(s["mi_matrix"]).T, atol=1e-9)
    assert list(heat["y"]) == ["shape", "scale", "rotation", "x", "y"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["MIG"] == f"{s['mig']:.3f}" and metrics["FactorVAE score"] == f"{s['factorvae_score']:.3f}"
    assert metrics["DCI disentanglement"] == f"{s['dci']['disentanglement']:.3f}"
    helps = {m.label: m.proto.help for m in at.metric}  # each metric names its variant and its numbers of codes
    n = s["num"]
    assert (
        f"fitted on {n['train']} training codes" in helps["DCI disentanglement"]
        and "trees" in helps["DCI disentanglement"]
    )
    assert f"over {n['train'] + n['test']} codes" in helps["FactorVAE score"] and "0.05" in helps["FactorVAE score"]
    trav = chart(at, "dis_traversal")
    titles = [a["text"] for a in trav["layout"]["annotations"]]
    assert len(titles) == 4 and all(any(fn in t for fn in ds.factor_names) for t in titles)
    table = at.dataframe[1].value
    assert list(table["model"]) == ["sprites-z4"] and table.iloc[0]["MIG"] == pytest.approx(s["mig"])
    scatter = chart(at, "dis_mig_distortion")["data"][0]
    assert arr(scatter["y"])[0] == pytest.approx(s["mig"])
    bars = chart(at, "dis_kl_split")["data"]
    assert [b["name"] for b in bars] == ["index-code MI", "total correlation", "dimension-wise KL"]
    at.button(key="dis_train").click().run()
    job = training_queue().get(at.session_state["dis_job"])
    try:
        assert job.config.objective.name == "beta-tcvae" and job.config.data.name == "sprites"
    finally:
        job.request_stop()
        training_queue().wait(job, 60)


def test_the_text_lesson_compares_three_decoders_on_names(app_dir):
    """Text decoders: the table of the three shipped name models and their grids of names."""
    from vae.analysis.diagnostics import collapse_report
    from vae.analysis.evaluation import checkpoint_split

    at = open_app("text_decoders")
    assert any("make checkpoints" in i.value for i in at.info)  # no text models yet: said, not a traceback
    folder = app_dir
    lesson_text_models(folder)  # untrained: the page's numbers are checked against the backend
    at = open_app("text_decoders")
    assert not at.exception, [e.message for e in at.exception]
    table = next(d.value for d in at.dataframe if "word dropout" in d.value.columns)
    assert list(table["model"]) == ["names-mlp-decoder", "names-gru-decoder", "names-gru-word-dropout-free-bits"]
    assert list(table["word dropout"]) == [0.0, 0.0, 0.5]
    ck = load_checkpoint(folder / "names-gru-decoder.safetensors")
    _, x, _, _ = checkpoint_split(ck, "test")
    rep = collapse_report(ck.model, x, iwae_k=100, seed=ck.config.train.seed)
    assert table.iloc[1]["rate (KL)"] == pytest.approx(rep["rate"], abs=1e-4)
    grids = [d.value for d in at.dataframe if "seed 1" in d.value.columns]
    assert len(grids) == 3 and all(g.shape == (4, 5) for g in grids)  # rows of z, columns of seeds (the defaults)
    assert all(isinstance(v, str) and set(v) <= set("abcdefghijklmnopqrstuvwxyz?") for v in grids[1].to_numpy().ravel())
    from vae.analysis.explore import first_letter_agreement

    within, between = first_letter_agreement(grids[1].to_numpy().tolist())
    shown = [c.value for c in at.caption if "start with the same letter" in c.value]
    assert len(shown) == 3 and f"{within:.0%} of the time" in shown[1] and f"z {between:.0%}" in shown[1]
    assert any('--preset "names: GRU + word dropout + free bits"' in c.value for c in at.code)
    at.button(key="text_fix_train_with_word_dropout_0_5").click().run()  # the remedy, filled into Train
    assert at.session_state["dataset"] == "names" and at.session_state["arch"] == "gru"
    assert at.session_state["word_dropout"] == 0.5 and at.session_state["name"] == "names-gru-decoder-word-dropout-0-5"
    assert at.selectbox(key="decoder_arch").value in ("gru", "same as encoder") and not at.error


def test_likelihood_lesson_puts_the_models_on_one_scale_and_opens_train(app_dir):
    import torch

    from tests.app_helpers import lesson_likelihood_models
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.levels import lesson_numbers, pixel_prediction, values
    from vae.config.shipped import LESSONS

    lesson_likelihood_models(app_dir, ("likelihood", "hidden beta", "colour"))
    at = open_app("likelihood")
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["name"]) == [r.model for r in LESSONS["likelihood"].values()]
    ck = load_checkpoint(app_dir / "mnist5k-cnn-z16-sigma-per-pixel.safetensors")
    _, x, _, _ = checkpoint_split(ck, "test")
    numbers = lesson_numbers(ck.model, x[:1000], seed=ck.config.train.seed)
    row = table.set_index("name").loc[ck.name]
    assert float(row["bits/dim of the 8-bit values"]) == pytest.approx(numbers["values"]["bits_per_dim"], abs=5e-4)
    assert row["output layer"] == "mu = sigmoid(out), sigma per pixel"
    assert float(row["sigma"]) == pytest.approx(ck.metrics["sigma"], abs=5e-4)
    bernoulli = table.set_index("name").loc[["mnist5k-cnn-z16", "mnist5k-cnn-z16-binarized"]]
    assert (bernoulli["bits/dim of the 8-bit values"] == "—").all()  # not a probability of 8-bit values
    assert (bernoulli["sigma"] == "—").all()
    assert table.set_index("name").loc["mnist5k-cnn-z16-tanh", "data range"] == "[-1,1]"
    # the per-pixel model draws its sigma(z) map; its sigma and the learned one are drawn over the epochs
    at.radio(key="lk_role").set_value("per-pixel").run()
    assert images_in(chart(at, "lk_sigma_map")) == 6
    curves = chart(at, "lk_sigma_curves")["data"]
    assert [c["name"] for c in curves] == ["Gaussian, one learned sigma", "Gaussian, sigma(z) per pixel"]
    assert arr(curves[1]["y"])[-1] == pytest.approx(ck.history[-1]["sigma"])
    # one pixel: every model's prediction over the 256 values, the true value marked; it starts on a grey pixel
    from vae.analysis.levels import grey_pixel

    assert (at.slider(key="lk_row").value, at.slider(key="lk_col").value) == grey_pixel(x[0])[1:]
    at.switch_page(PAGE["home"]).run()  # away and back: the sliders' state was dropped, the page starts again
    at.switch_page(PAGE["likelihood"]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert (at.slider(key="lk_row").value, at.slider(key="lk_col").value) == grey_pixel(x[0])[1:]
    at.number_input(key="lk_example").set_value(3).run()
    assert (at.slider(key="lk_row").value, at.slider(key="lk_col").value) == grey_pixel(x[3])[1:]  # its own
    at.slider(key="lk_row").set_value(2).run()
    at.slider(key="lk_col").set_value(5).run()
    pick = chart(at, "lk_pick")  # the picture to click: a point per pixel with its (row, col), the pixel framed
    side = x.shape[-1]
    assert len(arr(pick["data"][1]["customdata"])) == side * side
    assert list(arr(pick["data"][1]["customdata"])[2 * side + 5]) == [2, 5]
    assert (pick["layout"]["shapes"][0]["x0"], pick["layout"]["shapes"][0]["y0"]) == (4.5, 1.5)
    fig = chart(at, "lk_pixel")
    lines = {c["name"]: arr(c["y"]) for c in fig["data"]}
    assert len(lines) == 7
    want = pixel_prediction(ck.model, x[3:4], (0, 2, 5)).numpy()
    np.testing.assert_allclose(lines["Gaussian, sigma(z) per pixel"], want, rtol=1e-6)
    assert fig["layout"]["shapes"][0]["x0"] == int(values(x[3, 0, 2, 5]))
    assert (lines["Bernoulli of grey levels"][1:255] < 1e-6).all()  # a Bernoulli: black or white
    # a fixed sigma is a hidden beta: the identity on the page, the sweep's rows in order of sigma
    assert any("difference" in c.value for c in at.caption)
    sweep = at.dataframe[1].value
    assert list(sweep["sigma"]) == [0.03, 0.1, 0.3, 1.0, 3.0]
    assert list(sweep["beta it amounts to"]) == pytest.approx([2 * s**2 for s in sweep["sigma"]])
    sweep_fig = chart(at, "lk_sweep")["data"]
    assert arr(sweep_fig[0]["y"]) == pytest.approx(list(sweep["rate (KL)"]))
    assert list(arr(sweep_fig[2]["y"])) == list(sweep["pPCA keeps"])
    # colour: the two models of mnist5k-colour in their own table, drawn in colour
    import base64
    import io

    from PIL import Image

    colour = at.dataframe[2].value
    assert list(colour["name"]) == [r.model for r in LESSONS["colour"].values()]
    assert colour["output layer"][0] == "softmax over 32"
    rec = chart(at, "lk_colour_rec")
    assert images_in(rec) == 3 * 6  # inputs, means and draws of six test pictures
    png = Image.open(io.BytesIO(base64.b64decode(rec["data"][0]["source"].split(",", 1)[1])))
    rgb = np.asarray(png.convert("RGB")).reshape(-1, 3).astype(int)
    assert png.mode in ("RGB", "RGBA") and (np.ptp(rgb, axis=1) > 40).mean() > 0.1  # coloured, not grey
    # each model's settings one click away
    at.button(key="lk_colour_train_categorical").click().run()
    assert at.selectbox(key="dataset").value == "mnist5k-colour" and at.number_input(key="bins").value == 32

    at.switch_page(PAGE["likelihood"]).run()
    at.button(key="lk_train_tanh").click().run()
    assert at.selectbox(key="output_activation").value == "tanh"
    assert at.selectbox(key="data_range").value == "-1,1"
    assert torch.isfinite(torch.tensor(numbers["values"]["nats"]))


def test_overfitting_page_reads_the_current_models_curves_and_opens_the_remedies(app_dir):
    from tests.conftest import tiny_config
    from vae.analysis.overfitting import overfitting
    from vae.models.checkpoints import save_checkpoint
    from vae.training.trainer import train

    cfg = tiny_config(train__epochs=30, train__lr=1e-2, train__early_stopping=True)
    cfg.encoder.hidden = cfg.decoder.hidden = [256]
    r = train(cfg.validate())
    save_checkpoint(app_dir / "digits-wide.safetensors", r.model, r.history, r.metrics, dataset=r.dataset)
    at = open_app("overfitting", model="digits-wide")
    of = overfitting(r.history, r.metrics)
    metrics = {m.label: m.value for m in at.metric}
    assert (
        metrics["best test -ELBO"] == f"{of['best_test']:.2f}"
        and metrics["rise after the best epoch"] == f"{of['rise']:.2f}"
    )
    assert metrics["test - train -ELBO"] == f"{of['gap']:.2f}"
    names = [t["name"] for t in chart(at, "of_curves")["data"]]
    assert "held-out -ELBO" in names and "test -ELBO" in names
    assert any(f"kept epoch {r.metrics['kept_epoch']}" in i.value for i in at.info)
    verdict = at.warning if of["overfits"] else at.success
    assert verdict and (("rose" in verdict[0].value) if of["overfits"] else ("No overfitting" in verdict[0].value))
    at.button(key="of_train_with_weight_decay_0_01").click().run()
    assert at.number_input(key="weight_decay").value == 0.01
    assert at.checkbox(key="early_stopping").value is True  # the model's own settings come along


def test_the_overfitting_verdict_reads_the_rise_after_the_best_epoch():
    from vae.analysis.overfitting import RISE, overfitting, recovered

    h = [{"epoch": e, "test_elbo": t, "train_elbo": t - 1} for e, t in [(1, 20.0), (2, 15.0), (3, 15.0 + 2 * RISE)]]
    of = overfitting(h, {"kept_epoch": 2})
    assert (of["best_epoch"], of["rise"], of["overfits"], of["kept_epoch"]) == (2, 2 * RISE, True, 2)
    assert not overfitting(h[:2])["overfits"] and overfitting([]) is None
    assert of["kept_test"] == 15.0 and overfitting(h)["kept_test"] == h[-1]["test_elbo"]  # the model returned
    remedy = overfitting([{**r, "test_elbo": r["test_elbo"] - 0.5 * RISE * (r["epoch"] == 3)} for r in h])
    assert recovered(overfitting(h), remedy) == pytest.approx(0.25) and recovered(of, of) == 0.0
    assert recovered(overfitting(h[:2]), remedy) is None  # nothing rose, nothing to recover


def test_latent_size_lesson_reads_the_sweep_in_order_of_d_z_and_opens_train(app_dir):
    """The d_z sweep's models on one figure and one table, rows in order of d_z with each model's stored report;
    the same test pictures through every model; each model's settings one click away."""
    from tests.app_helpers import lesson_likelihood_models
    from vae.analysis.reports import stored_reports
    from vae.config.shipped import LATENT_SIZES, LESSONS

    lesson_likelihood_models(app_dir, ("latent size",))
    at = open_app("latent_size")
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["d_z"]) == list(LATENT_SIZES)
    assert list(table["name"]) == [r.model for r in LESSONS["latent size"].values()]
    for _, row in table.iterrows():
        ck = load_checkpoint(app_dir / f"{row['name']}.safetensors")
        rep = stored_reports(ck.extra)
        rep = rep["collapse"] if rep else None
        assert ck.config.latent_dim == row["d_z"]
        assert row["active units"] + row["unused units"] == row["d_z"]
        if rep:
            assert row["distortion"] == pytest.approx(rep["distortion"]) and row["rate (KL)"] == pytest.approx(
                rep["rate"]
            )
    fig = chart(at, "ls_figure")["data"]
    assert [t["name"] for t in fig[:3]] == ["-ELBO", "distortion", "rate (KL)"]
    assert list(arr(fig[0]["x"])) == list(LATENT_SIZES)
    assert arr(fig[1]["y"]) == pytest.approx(list(table["distortion"]))
    assert list(arr(fig[3]["y"])) == list(table["active units"])
    recs = chart(at, "ls_recs")
    assert images_in(recs) == 8 * (1 + len(LATENT_SIZES))  # eight pictures: the input, then one per d_z
    titles = [a["text"] for a in recs["layout"]["annotations"]]
    assert titles == ["x", *(f"d_z={d}" for d in LATENT_SIZES)]
    kl = chart(at, "ls_kl")["data"][0]
    assert len(kl["x"]) == LATENT_SIZES[-1]
    at.button(key="ls_train_8").click().run()
    assert at.number_input(key="latent_dim").value == 8


def test_the_latent_size_sweep_finds_where_the_distortion_levels_off_and_units_go_unused():
    from vae.analysis.latent_size import LEVEL, first_unused, levels_off, most_active, sweep_rows

    reps = {
        d: {"latent_dim": d, "elbo": dist + rate, "distortion": dist, "rate": rate, "iwae_nll": 0.0, "active_units": a}
        for d, dist, rate, a in [(8, 95.0, 25.0, 8), (1, 160.0, 3.0, 1), (64, 94.0, 27.0, 21), (16, 94.5, 26.0, 14)]
    }
    rows = sweep_rows((f"m{d}", rep) for d, rep in reps.items())
    assert [r["latent_dim"] for r in rows] == [1, 8, 16, 64] and rows[-1]["unused"] == 43
    assert levels_off(rows) == 8 and levels_off(rows, level=0.2) == 64 and LEVEL > 0
    assert first_unused(rows) == 16 and most_active(rows) == 21
    assert first_unused(rows[:2]) is None and levels_off([]) is None


def test_the_overfitting_lesson_measures_each_remedy_against_the_overfitted_run(app_dir):
    """The lesson's table: each shipped model's best and kept test -ELBO and its rise, read from its history, and
    for the remedies of the same run the share of the overfitted run's rise they win back."""
    import pandas as pd

    from tests.app_helpers import lesson_likelihood_models
    from vae.analysis.overfitting import overfitting, recovered
    from vae.config.shipped import LESSONS

    lesson_likelihood_models(app_dir, ("overfitting",))
    at = open_app("overfitting", model="digits-z2")
    at.button(key="of_open_dropout").click().run()
    assert at.sidebar.selectbox(key="model").value == "mnist200-mlp512-dropout"
    table = at.dataframe[0].value.set_index("name")
    assert list(table.index) == [r.model for r in LESSONS["overfitting"].values()]
    numbers = {
        n: overfitting(ck.history, ck.metrics)
        for n in table.index
        for ck in [load_checkpoint(app_dir / f"{n}.safetensors")]
    }
    for n, of in numbers.items():
        assert table.loc[n, "best test -ELBO"] == pytest.approx(of["best_test"])
        assert table.loc[n, "test -ELBO of the model kept"] == pytest.approx(of["kept_test"])
    wide, stopped = numbers["mnist200-mlp512"], numbers["mnist200-mlp512-early-stopping"]
    share = recovered(wide, stopped)
    shown = table.loc["mnist200-mlp512-early-stopping", "rise won back"]
    assert pd.isna(shown) if share is None else shown == pytest.approx(100 * share)  # empty where nothing rose
    assert pd.isna(table.loc["names-gru-decoder", "rise won back"])  # another run: not a remedy of it
    at.button(key="of_train_early-stopping").click().run()  # Train with that model's settings
    assert at.checkbox(key="early_stopping").value is True and at.number_input(key="patience").value == 100
    assert at.number_input(key="train_size").value == 200


def test_a_click_on_the_picture_picks_its_pixel():
    """The click event's custom data reach the server as a typed array or a TypedArray's JSON; both give the
    (row, col), and no click gives None."""
    import base64
    from types import SimpleNamespace

    from ui.likelihood_lesson import clicked_pixel

    typed = {"dtype": "i8", "bdata": base64.b64encode(np.array([7, 11], "<i8").tobytes()).decode()}
    for custom in (typed, {"0": 7, "1": 11}, [7, 11]):
        assert clicked_pixel(SimpleNamespace(selection=SimpleNamespace(points=[{"customdata": custom}]))) == (7, 11)
    assert clicked_pixel(SimpleNamespace(selection=SimpleNamespace(points=[]))) is None and clicked_pixel(None) is None
