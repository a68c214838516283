"""The classroom benchmark measures the whole app: every page, and a floor drawn from the same pages."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from bench.class_reference import capture
from bench.classroom_load import PAGES
from ui.navigation import NAVIGATION, PAGE

ROOT = Path(__file__).resolve().parent.parent


def test_the_class_visits_every_page_of_the_app_by_its_sidebar_title_and_heading():
    assert [key for key, _, _ in PAGES] == list(PAGE)  # every page, in the sidebar's order
    assert sorted(key for entries in NAVIGATION.values() for key, _, _ in entries) == sorted(PAGE)
    app = (ROOT / "app.py").read_text()
    assert "NAVIGATION.items()" in app  # the sidebar the students click is built from the same table
    for key, _, heading in PAGES:
        assert f'st.title(tr("{heading}' in (ROOT / PAGE[key]).read_text(), key


def _replay(path: str, key: str, variant: str) -> None:
    import json
    from pathlib import Path

    import streamlit as st

    from bench.class_reference import _draw

    _draw(json.loads(Path(path).read_text())["pages"][key][variant], st, key)


def _shape(nodes: list[dict]) -> list:
    """What a replay must keep of a page: each element's kind, label and options, and each figure's traces."""
    out = []
    for n in nodes:
        kind = {"latex": "markdown"}.get(n["kind"], n["kind"])
        if kind == "plotly":
            out.append(("plotly", [t.get("type") for t in json.loads(n["spec"])["data"]]))
        elif kind == "markdown":
            out.append(kind)
        else:
            out.append(
                (
                    kind,
                    n.get("label"),
                    n.get("options"),
                    n.get("text"),
                    _shape(n.get("children", [])),
                    [_shape(c) for c in n.get("columns", [])],
                )
            )
    return out


def test_the_bare_replay_draws_the_elements_and_figures_of_each_page(app_dir, tmp_path, monkeypatch):
    import sys

    from streamlit.testing.v1 import AppTest

    # AppTest installs each script it runs as __main__ and leaves it there; a training's fork server started later
    # would run this test's replay script again (as multiprocessing does with the main module) and fail
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])

    from bench.class_reference import _nodes

    before = dict(os.environ)
    captured = capture(app_dir, tmp_path / "class")
    assert dict(os.environ) == before  # later tests (trainings) read their folders from it
    path = tmp_path / "pages.json"
    path.write_text(json.dumps(captured))
    assert set(captured["pages"]) == set(PAGE)
    assert list(captured["pages"]["latent_map"]) == ["PCA", "TSNE"]
    for key, variants in captured["pages"].items():
        for variant, nodes in variants.items():
            assert nodes[0] == {"kind": "title", "text": dict((k, h) for k, _, h in PAGES)[key]} or key == "home"
            at = AppTest.from_function(_replay, args=(str(path), key, variant), default_timeout=60).run()
            assert not at.exception, (key, [e.message for e in at.exception])
            assert _shape(_nodes(at.main)) == _shape(nodes), (key, variant)
    charts = [n for n in captured["pages"]["latent_map"]["TSNE"] if n["kind"] == "plotly"]
    assert json.loads(charts[0]["spec"])["layout"]["title"]["text"] == "Posterior means, TSNE"


def test_the_inference_benches_run_on_a_small_budget():
    """bench/amortization_gap.py and bench/flow_posteriors.py, one epoch and a few examples: they still run and
    report what their tables in docs/lessons.md show."""
    from bench import amortization_gap, flow_posteriors

    gaps = amortization_gap.run([16], seed=1, epochs=1, examples=4)
    assert gaps["num"] == 4 and gaps["amortization_gap"] >= 0
    assert gaps["approximation_gap"] == pytest.approx(gaps["log_px"] - gaps["elbo_optimized"])
    vamp = flow_posteriors.run("vamp prior, K=500", seed=1, epochs=1, iwae_examples=4)
    assert set(vamp) == {"elbo", "nll", "rate", "seconds"} and all(math.isfinite(v) for v in vamp.values())


def test_the_translation_cost_bench_runs_both_languages(app_dir):
    """bench/i18n_cost.py on the test models, one repeat of one page: a time per language."""
    from bench import i18n_cost

    res = i18n_cost.page_runs(["collapse"], repeats=1, checkpoints=app_dir)
    assert set(res["collapse"]) == {"en", "zh"} and all(t > 0 for t in res["collapse"].values())


def test_the_protocol_level_class_browses_and_trains(app_models, tmp_path):
    """bench/protocol_load.py: students that speak Streamlit's WebSocket protocol see every page, pick t-SNE,
    train and open their own model, with no error (on the small test models)."""
    import asyncio
    import shutil

    from bench import protocol_load
    from bench.browser import streamlit_server

    folder = tmp_path / "checkpoints"
    shutil.copytree(app_models, folder)
    env = {"VAE_CHECKPOINTS": str(folder), "VAE_CLASS_MODELS": str(tmp_path / "class"), "VAE_WARM_UP": "0"}
    with streamlit_server(env=env) as url:
        browse = asyncio.run(protocol_load.class_of(url, ["digits-z2"], 1, "browse", 0, seed=0))
        assert not browse["errors"] and len(browse["times"]) >= 10  # every page, then t-SNE
        picks = asyncio.run(protocol_load.class_of(url, ["digits-z2", "sprites-z4"], 1, "pick", 0, seed=0))
        assert not picks["errors"]
        after = [p for p, _ in picks["times"] if p.endswith("after a pick")]
        assert len(after) == len(browse["times"]) - 1  # a pick on every page (but t-SNE's second run)
        train = asyncio.run(
            protocol_load.class_of(url, ["digits-z2"], 1, "train", 0, seed=0, presets=("digits in seconds",))
        )
    assert not train["errors"] and len(train["ready"]) == 1
    with streamlit_server(ROOT / "bench" / "bare_page.py") as url:  # the floor
        bare = asyncio.run(protocol_load.class_of(url, [], 2, "bare", 0, seed=0, runs=3))
    assert not bare["errors"] and [p for p, _ in bare["times"]] == ["bare page"] * 6
    assert [p.stem for p in (tmp_path / "class").glob("*.safetensors")]  # the student's own model was saved


def test_the_throughput_bench_trains_through_the_server_queue():
    """bench/training_throughput.py: one training through a one-slot queue, saved as the web app saves it."""
    from bench import training_throughput

    saved, reported = training_throughput.batch(1, 1, "digits in seconds")
    assert 0 < saved <= reported


def test_the_text_collapse_bench_trains_the_three_decoders(capsys):
    """bench/text_collapse.py on one epoch: every run is measured and every aim is reported."""
    from bench import text_collapse

    mean = text_collapse.main(["--seeds", "1", "--epochs", "1", "--iwae-examples", "20", "--hidden", "16"])
    assert list(mean) == list(text_collapse.RUNS)
    assert all(r["rate"] >= 0 and r["nll"] > 0 and r["au"] <= 16 for r in mean.values())
    out = capsys.readouterr().out
    assert out.count("reached: ") == 3


def test_the_waves_bench_scores_both_presets_against_the_factors(capsys):
    """bench/waves_factors.py on one epoch: both presets are scored and the ratio is printed."""
    from bench import waves_factors

    mean = waves_factors.main(["--seeds", "1", "--epochs", "1"])
    assert list(mean) == list(waves_factors.RUNS)
    assert all(0 <= r["mig"] <= 1 and 0 <= r["dci"] <= 1 and r["au"] <= 6 for r in mean.values())
    assert "beta-VAE MIG / VAE MIG: " in capsys.readouterr().out


def test_the_reference_dci_of_the_metrics_bench_is_the_projects_on_the_same_codes():
    """bench/metric_references.py writes disentanglement_lib's DCI out again (scipy's entropy, its weights): on the
    same codes and trees it gives the numbers of vae.analysis.disentanglement.dci, and its FactorVAE score reads
    codes that are the factors perfectly."""
    import numpy as np

    from bench.metric_references import reference_dci, reference_factorvae
    from vae.analysis.disentanglement import dci

    rng = np.random.RandomState(0)
    f, ft = rng.randint(0, 4, size=(300, 3)), rng.randint(0, 4, size=(100, 3))
    c, ct = f + 0.3 * rng.randn(*f.shape), ft + 0.3 * rng.randn(*ft.shape)
    ours, ref = dci(c, f, ct, ft, seed=0), reference_dci(c, f, ct, ft, seed=0)
    assert {k: ours[k] for k in ref} == pytest.approx(ref, abs=1e-9)
    score = reference_factorvae(lambda v: v.astype(float), [4, 4, 4], rng, batch=16, num_train=200, num_eval=100)
    assert score == 1.0


def test_the_likelihood_lesson_bench_measures_each_model_on_the_scale_it_has(capsys):
    """bench/likelihood_lesson.py on one epoch of two models: a Bernoulli has no bits per dimension of 8-bit
    values, a Gaussian has them (and its sigma)."""
    import math

    from bench import likelihood_lesson

    mean = likelihood_lesson.main(["--seeds", "1", "--epochs", "1", "--only", "bernoulli", "per-pixel"])
    bern, gauss = mean["mnist5k-cnn-z16"], mean["mnist5k-cnn-z16-sigma-per-pixel"]
    assert math.isnan(bern["bits"]) and math.isnan(bern["sigma"])
    assert 0 < gauss["bits"] < 8 and 0.01 <= gauss["sigma"] < 1
    assert "mnist5k-cnn-z16-sigma-per-pixel" in capsys.readouterr().out


def test_the_train_speed_bench_prices_the_history_record_and_the_held_out_pass():
    """bench/train_speed.py's per-epoch costs: the history record's test pass and early stopping's held-out pass,
    each a share of a real epoch of the same run."""
    from bench.train_speed import record_cost
    from vae.config import VAEConfig
    from vae.data.embedded import load_mnist5k

    cfg = VAEConfig()
    cfg.train.epochs, cfg.train.device = 2, "cpu"
    r = record_cost(cfg, load_mnist5k(), repeats=1)
    assert r["examples"] == 500 and r["held_out_examples"] == 400  # a tenth of the 4,000 training digits
    assert 0 < r["held_out_share"] < 1 and 0 < r["share"] < 1


def test_the_capacity_lessons_bench_measures_the_sweep_and_the_remedies(capsys):
    """bench/capacity_lessons.py on one epoch a run: a row per d_z in order, the overfitting trio with the share
    each remedy wins back, and the aims said either way."""
    from bench import capacity_lessons
    from vae.config.shipped import LATENT_SIZES

    capacity_lessons.main(["--seeds", "1", "--epochs", "1"])
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line[:4].strip().isdigit()]
    assert [int(r[0]) for r in rows] == list(LATENT_SIZES)
    assert all(float(r[4]) <= int(r[0]) for r in rows)  # active units, at most d_z
    assert "mnist200-mlp512-dropout" in out and "mnist200-mlp512-early-stopping" in out
    assert out.count("reached") >= 3  # the three aims, each reported whichever way it came out


def test_the_train_speed_bench_prices_the_gradient_flow_recording():
    """bench/train_speed.py's flow_cost: recorded against plain training steps, as a share of an epoch."""
    from bench.train_speed import flow_cost
    from vae.config import VAEConfig
    from vae.data.embedded import load_mnist5k

    cfg = VAEConfig()
    cfg.train.device = "cpu"
    r = flow_cost(cfg, load_mnist5k(), [32, 32], repeats=5)
    assert r["steps"] == 32 and r["records"] == 4  # 4,000 digits in batches of 128, four records an epoch
    assert r["step_ms"] > 0 and r["share"] == pytest.approx(r["records"] * r["extra_ms"] / (r["steps"] * r["step_ms"]))


def test_the_training_lessons_bench_reports_its_aims(capsys):
    """bench/training_lessons.py on one epoch a run: the batch-norm spreads (zero without batch norm), the gradient
    ratios of the five deep MLPs, and the aims said either way."""
    from bench import training_lessons
    from vae.config.shipped import LESSONS

    out = training_lessons.main(["--seeds", "1", "--epochs", "1", "--only", "batch norm", "gradient flow"])
    text = capsys.readouterr().out
    assert out["batch norm"]["batch"]["train"] > 1 and out["batch norm"]["layer"]["train"] < 1e-4
    assert out["batch norm"]["none"]["eval"] < 1e-4
    assert set(out["gradient flow"]) == set(LESSONS["gradient flow"])
    assert all(r.model in text for r in LESSONS["gradient flow"].values())
    assert text.count("reached") >= 3


def test_the_series_decoders_bench_measures_the_wavenet_lesson(capsys):
    """bench/series_decoders.py on one seed and one epoch: a row per role, the aim and the sampling cost."""
    from bench import series_decoders

    res = series_decoders.main(["--seeds", "1", "--epochs", "1"])
    assert set(res["rows"]) == {"cnn", "wavenet", "fix", "short"}
    assert all(t > 0 for t in res["sampling"].values())
    out = capsys.readouterr().out
    assert "aim under 0.33" in out and "step by step" in out


def test_the_series_networks_bench_compares_the_encoders_on_one_decoder(capsys):
    """bench/series_networks.py on one seed and one epoch: a row per role and the comparisons the lesson quotes."""
    from bench import series_networks

    res = series_networks.main(["--seeds", "1", "--epochs", "1"])
    assert set(res) >= {"cnn", "gru", "transformer", "gru-decoder"}
    out = capsys.readouterr().out
    assert "GRU encoder vs the CNN encoder" in out and "GRU decoder: rate" in out


def test_the_flow_decoder_bench_measures_the_draws_noise(capsys):
    """bench/flow_decoder.py on one seed and one epoch: both decoders, their draws' noise and the ratios."""
    from bench import flow_decoder

    rows = flow_decoder.main(["--seeds", "1", "--epochs", "1"])
    assert set(rows) == {"cnn", "flow"} and all(r["sample"] > 0 and r["noise_sd"] > 0 for r in rows.values())
    assert abs(rows["cnn"]["lag1"]) < 0.1  # a Gaussian per step: independent noise
    assert "flow vs the Gaussian decoder" in capsys.readouterr().out


def test_the_image_attention_bench_measures_how_far_the_blocks_look(capsys):
    """bench/image_attention.py on one seed and one epoch: both CNNs, the blocks' reach against uniform weights."""
    from bench import image_attention

    rows = image_attention.main(["--seeds", "1", "--epochs", "1"])
    assert set(rows) == {"cnn", "attention"} and rows["cnn"]["encoder_of"] == 0
    att = rows["attention"]
    assert att["encoder_of"] == 49 and 1 <= att["encoder_cells"] <= 49 and 0 <= att["decoder_beyond"] <= 1
    assert "attention vs the plain CNN" in capsys.readouterr().out
