"""The lessons on how the networks train (pages/diagnose/batch_norm.py, pages/diagnose/gradient_flow.py): their
numbers against the backend, on the current model and on the lessons' shipped models."""

from __future__ import annotations

import pytest

from tests.app_helpers import arr, chart, lesson_likelihood_models, open_app
from vae.config.shipped import LESSONS
from vae.models.checkpoints import load_checkpoint, save_checkpoint


@pytest.fixture
def lesson_dir(app_dir):
    lesson_likelihood_models(app_dir, ("batch norm", "gradient flow"))
    return app_dir


def test_the_batch_norm_page_scores_one_picture_in_each_batch(lesson_dir):
    from vae.analysis.batch_coupling import batch_coupling, train_mode_gap
    from vae.analysis.evaluation import test_inputs
    from vae.data import load_dataset

    name = LESSONS["batch norm"]["batch"].model
    at = open_app("batch_norm", model=name)
    ck = load_checkpoint(lesson_dir / f"{name}.safetensors")
    ds = load_dataset(ck.config.data)
    x = test_inputs(ds.x_test, ck.config, "cpu")
    c = batch_coupling(ck.model, x, ds.y_test, 0)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["spread, training mode"] == f"{c['spread_train']:.4f}" and c["spread_train"] > 0
    assert metrics["spread, evaluation mode"] == f"{c['spread_eval']:.4f}"
    gap = train_mode_gap(ck.model, x, ck.config.train.batch_size)["gap"]
    assert metrics["training-mode gap"] == f"{gap:+.2f}"
    assert at.warning and "Batch norm" in at.warning[0].value
    titles = [a["text"] for a in chart(at, "bn_pictures")["layout"]["annotations"]]
    assert any(f"-ELBO {c['rows'][2]['elbo']:.1f}" in t for t in titles)  # the blank batch's
    contexts = at.dataframe[0].value
    assert list(contexts["-ELBO"]) == pytest.approx([r["elbo"] for r in c["rows"]])
    table = at.dataframe[1].value.set_index("name")
    assert list(table.index) == [r.model for r in LESSONS["batch norm"].values()]
    assert table.loc[LESSONS["batch norm"]["layer"].model, "spread, training mode"] < 1e-4
    at.button(key="bn_open_layer").click().run()
    assert at.sidebar.selectbox(key="model").value == LESSONS["batch norm"]["layer"].model
    assert at.success and "No batch norm" in at.success[0].value
    at.button(key="bn_train_batch").click().run()
    assert at.selectbox(key="norm").value == "batch"


def test_an_autoregressive_model_is_scored_in_every_batch_only_when_asked(app_dir, pixelcnn_model):
    """A pixelcnn model's picture in four batches of 128 with 16 draws took 181 s of a core on the shipped one, and a
    class picking models met it at once (bench/protocol_load's pick scenario: the page's 196 s outlier): the page
    says so and measures on request, for this session, then draws what it draws for any model."""
    import shutil

    shutil.copy(pixelcnn_model, app_dir)
    at = open_app("batch_norm", model=pixelcnn_model.stem)
    assert not at.exception and not at.metric and "takes minutes" in at.info[0].value
    at.button(key="bn_measure").click().run()
    assert not at.exception, [e.message for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["spread, training mode"]) < 1e-4  # no batch norm in a pixelcnn model
    assert at.success and "No batch norm" in at.success[0].value


def test_the_gradient_flow_page_draws_the_recorded_norms(lesson_dir):
    from vae.analysis.gradient_flow import flow_series, flow_summary

    name = LESSONS["gradient flow"]["relu"].model
    at = open_app("gradient_flow", model=name)
    ck = load_checkpoint(lesson_dir / f"{name}.safetensors")
    series = flow_series(ck.history)
    s = flow_summary(series)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["first / last, median"] == f"{s['ratio']:.3g}"
    assert metrics["first / last, first step"] == f"{s['start_ratio']:.3g}"
    heat = chart(at, "gf_grads")["data"][0]
    z = arr(heat["z"])
    assert z.shape == (len(series["grad_norm"][0]), len(series["step"]))  # layers x recorded steps
    assert z[0, 0] == pytest.approx(__import__("math").log10(series["grad_norm"][0][0]), rel=1e-6)
    assert list(heat["y"])[0] == "encoder 1" and heat["zmin"] == -5
    assert arr(chart(at, "gf_dead")["data"][0]["z"]).max() <= 1
    table = at.dataframe[0].value.set_index("name")
    assert list(table.index) == [r.model for r in LESSONS["gradient flow"].values()]
    assert table.loc[name, "first / last, median"] == pytest.approx(s["ratio"])
    at.button(key="gf_train_tanh-default").click().run()
    assert at.selectbox(key="activation").value == "tanh" and at.selectbox(key="init").value == "default"


def test_a_model_without_records_says_how_to_get_them(app_dir):
    ck = load_checkpoint(app_dir / "digits-z2.safetensors")
    history = [{k: v for k, v in h.items() if k != "gradient_flow"} for h in ck.history]
    save_checkpoint(app_dir / "old.safetensors", ck.model, history, ck.metrics, dataset=ck.dataset)
    at = open_app("gradient_flow", model="old")
    assert at.info and "trained before the gradient flow was recorded" in at.info[0].value
    at.button(key="gf_retrain").click().run()
    assert at.text_input(key="name").value == "old-again"


def test_the_symmetry_section_measures_each_decoder_and_opens_train(app_dir, pixelcnn_model):
    import shutil

    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.symmetry import symmetry_row

    shutil.copy(pixelcnn_model, app_dir)
    lesson_likelihood_models(app_dir, ("symmetry",))
    at = open_app("strong_decoders")
    table = next(d.value for d in at.dataframe if "sharpness of samples" in d.value.columns).set_index("name")
    roles = LESSONS["symmetry"]
    assert list(table.index) == [r.model for r in roles.values()]
    for name in table.index:
        ck = load_checkpoint(app_dir / f"{name}.safetensors")
        row = symmetry_row(ck.model, ck.metrics, checkpoint_split(ck, "test")[1])
        assert table.loc[name, "sharpness of samples"] == pytest.approx(row["sharpness"])
        assert table.loc[name, "decoder parameters"] == row["decoder"]
    narrow, wide = (table.loc[roles[r].model, "decoder parameters"] for r in ("narrow", "wide"))
    assert narrow < table.loc[roles["mirror"].model, "decoder parameters"] < wide
    at.radio(key="sym").set_value("wide").run()
    assert any(t.get("type") == "image" for t in chart(at, "sym_samples")["data"])  # the wide one's samples
    at.button(key="sym_train_narrow").click().run()
    assert at.text_input(key="decoder_hidden").value == "32 16"


def test_a_dropout_model_shows_its_noise_beside_the_vaes(app_dir):
    from tests.conftest import tiny_config
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.overfitting import noise_spread
    from vae.config import NetworkConfig
    from vae.training.trainer import train

    r = train(tiny_config(encoder=NetworkConfig(hidden=[32], dropout=0.3)))
    save_checkpoint(app_dir / "digits-dropout.safetensors", r.model, r.history, r.metrics, dataset=r.dataset)
    at = open_app("overfitting", model="digits-dropout")
    ck = load_checkpoint(app_dir / "digits-dropout.safetensors")
    n = noise_spread(ck.model, checkpoint_split(ck, "train")[1])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["dropout's noise"] == f"{n['dropout']:.3f}" and n["dropout"] > 0
    assert metrics["the VAE's own noise"] == f"{n['posterior']:.3f}"
    assert "dropout's noise" not in {m.label for m in open_app("overfitting", model="digits-z2").metric}


def test_the_sweep_chart_draws_one_line_per_model_and_marks_the_runs_that_blew_up():
    from vae.figures.plots import sweep_figure

    points = [
        {"base": "bn", "value": 0.03, "elbo": 139.0, "diverged_step": None},
        {"base": "bn", "value": 0.001, "elbo": 137.0, "diverged_step": None},
        {"base": "none", "value": 0.001, "elbo": 184.0, "diverged_step": None},
        {"base": "none", "value": 0.03, "elbo": None, "diverged_step": 2},
        {"base": "none", "value": 0.01, "elbo": None, "diverged_step": None},  # still running: not drawn
    ]
    fig = sweep_figure(points, "lr", log_x=True).to_plotly_json()
    bn, bn_failed, none, none_failed = fig["data"]
    assert (bn["name"], none["name"]) == ("bn", "none") and list(bn["x"]) == [0.001, 0.03]  # in order of the value
    assert list(bn["y"]) == [137.0, 139.0] and list(none["x"]) == [0.001] and not list(bn_failed["x"])
    assert list(none_failed["x"]) == [0.03] and list(none_failed["text"]) == ["diverged at step 2"]
    assert none_failed["y"][0] > 184.0 and fig["layout"]["xaxis"]["type"] == "log"
