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
    assert metrics["training mode - evaluation mode"] == f"{gap:+.2f}"
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
