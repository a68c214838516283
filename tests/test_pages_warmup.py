"""The server-start warm-up: it fills the caches the pages read, so no visitor waits (AppTest).

Each test drives widgets and asserts what the page shows: values in the figure JSON,
numbers in tables and metrics, and the messages given for bad input.
"""

from __future__ import annotations

from tests.app_helpers import open_app


def test_the_warm_up_times_the_train_forms_defaults_so_no_visitor_waits_for_them(app_dir, monkeypatch):
    """A fresh Train page's estimate (the server's reference models timed, 1.3 s) is computed at server start;
    the page reads it from the cache."""
    from ui import compute, warmup

    compute.cost_estimate.clear()
    warmup.warm_train_form()
    timed = []
    real = compute.server_estimate  # the name the page's cached call uses
    monkeypatch.setattr(compute, "server_estimate", lambda cfg, *a: timed.append(cfg) or real(cfg, *a))
    at = open_app("train")
    assert any(c.value.startswith("Training takes about") for c in at.caption)
    assert timed == []  # the page's default configuration is the one the warm-up timed
    at.number_input(key="epochs").set_value(3).run()
    assert len(timed) == 1  # ...and a changed form is timed by the page (the check can fail)


def test_warm_up_fills_the_caches_the_pages_read(app_dir, monkeypatch):
    from ui import warmup
    from ui.models import checkpoint_paths, load
    from vae.analysis.projections import DEFAULT_CACHE, ProjectionCache

    path = next(p for p in checkpoint_paths() if p.stem == "digits-z2")
    warmup.warm(path)  # what the warm-up thread does for each shared model (not in this thread: it lowers its priority)
    ck = load(path)
    for method in ("pca", "tsne"):
        # the default 2,000 points of a split of 360: stored as the 360 drawn, the key the page asks for too
        assert ProjectionCache.key(ck.digest, "test", method, 360, 0) in DEFAULT_CACHE._mem
    from ui import compute

    def computed_again(*a, **k):
        raise AssertionError("a page computed what the warm-up had computed")

    # the names ui.compute calls: a page that computed again would call these
    monkeypatch.setattr(compute, "project_model", computed_again)
    monkeypatch.setattr(compute, "report", computed_again)
    for figure in ("examples_figure", "traversal_figure", "traversal_grid_figure"):  # ...and the figures built
        monkeypatch.setattr(compute, figure, computed_again)
    for page in ("latent_map", "collapse", "traversals", "samples"):
        at = open_app(page, model="digits-z2")  # the pages find everything computed
        assert not at.exception


def test_warm_up_draws_a_pixelcnn_models_default_pictures_once(app_dir, pixelcnn_model, monkeypatch):
    import shutil

    from ui import warmup
    from vae.models.pixelcnn import PixelCNNDecoder

    shutil.copy(pixelcnn_model, app_dir)
    warmup.warm(app_dir / pixelcnn_model.name)

    def drawn_again(*a, **k):
        raise AssertionError("a page drew pixel by pixel what the warm-up had drawn")

    monkeypatch.setattr(PixelCNNDecoder, "sample", drawn_again)
    for page in ("samples", "traversals"):
        at = open_app(page, model="digits-z4-pixelcnn")
        assert not at.exception, [e.message for e in at.exception]
    at = open_app("strong_decoders")
    at.selectbox(key="sd_pixelcnn").select("digits-z4-pixelcnn").run()
    assert not at.exception, [e.message for e in at.exception]


def test_the_lessons_models_are_warmed_first_and_a_new_model_after_its_reports(monkeypatch, tmp_path):
    """The first visit of Strong decoders took 20.8 s while the warm-up was busy with other models, and a freshly
    trained model's Encoder page 18 s to its first picture: the lessons' models go first now, and a student's new
    model is warmed in the background once its reports are stored (storing them changes the file)."""
    from pathlib import Path

    from ui import warmup
    from vae.config.shipped import LESSONS, SHIPPED

    paths = [Path(f"/x/{m.name}.safetensors") for m in SHIPPED]
    ordered = [p.stem for p in warmup.lessons_first(paths)]
    first = list(dict.fromkeys(r.model for roles in LESSONS.values() for r in roles.values()))
    assert ordered[: len(first)] == first and sorted(ordered) == sorted(p.stem for p in paths)
    events = []

    class Reports:
        def wait(self, path, timeout):
            events.append(("reports", path))
            return True

    monkeypatch.setattr(warmup, "warm", lambda path: events.append(("warm", path)))
    monkeypatch.setenv("VAE_WARM_UP", "1")
    new = tmp_path / "mine.safetensors"
    warmup.warm_in_background(new, Reports()).join(10)
    assert events == [("reports", new), ("warm", new)]
    monkeypatch.setenv("VAE_WARM_UP", "0")
    assert warmup.warm_in_background(new, Reports()) is None


def test_warm_up_computes_the_likelihood_lessons_first_visit(app_dir, monkeypatch):
    from tests.app_helpers import lesson_likelihood_models
    from ui import compute, likelihood_lesson
    from vae.i18n import LANGUAGES

    lesson_likelihood_models(app_dir)
    likelihood_lesson.warm(LANGUAGES)

    def computed_again(*a, **k):
        raise AssertionError("a page computed what the warm-up had computed")

    for name in ("lesson_numbers", "report", "examples_figure", "value_distribution_figure", "data_spread"):
        monkeypatch.setattr(compute, name, computed_again)
    for lang in LANGUAGES:
        at = open_app("likelihood")
        if lang != "en":
            at.sidebar.radio(key="lang").set_value(lang).run()
        assert not at.exception, [e.message for e in at.exception]
