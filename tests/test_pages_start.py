"""The Start section (home, the sidebar's picker, uploads and deletion) and the server's set-up (AppTest).

Each test drives widgets and asserts what the page shows: values in the figure JSON,
numbers in tables and metrics, and the messages given for bad input.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_helpers import ROOT, home_models, open_app
from vae.models.checkpoints import load_checkpoint, read_metadata
from vae.service.storage import owner_digest


def test_home_lists_every_model_with_its_numbers(app_dir):
    at = open_app()
    assert not at.dataframe  # a static table: no interactive grid to load on the first page
    df = home_models(at)
    assert sorted(df["model"]) == sorted(p.stem for p in app_dir.glob("*.safetensors"))
    row = df[df["model"] == "digits-z2"].iloc[0]
    meta = read_metadata(app_dir / "digits-z2.safetensors")
    assert row["test -ELBO"] == pytest.approx(meta["metrics"]["elbo"])
    assert row["latent"] == 2 and row["dataset"] == "digits"
    assert any("ELBO" in m.value for m in at.markdown)
    assert len(at.get("page_link")) >= 6


def test_the_model_picked_on_one_page_is_current_on_every_other(app_dir):
    """The sidebar is drawn by app.py, so its picker is one widget for all pages, not a new one per page."""
    from ui.navigation import PAGE

    at = open_app(model="sprites-z4")
    assert at.sidebar.selectbox(key="model").options[0] != "sprites-z4"  # not the default
    for key in [*PAGE, "home"]:
        at.switch_page(PAGE[key]).run()
        assert not at.exception, (key, [e.message for e in at.exception])
        assert at.sidebar.selectbox(key="model").value == "sprites-z4", key
        assert at.query_params["model"] == "sprites-z4", key


def test_empty_checkpoint_folder_points_to_training(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_CHECKPOINTS", str(tmp_path / "none"))
    at = open_app("traversals")
    assert any("There is no model yet" in i.value for i in at.info)


def test_upload_refuses_a_bad_file_and_accepts_a_checkpoint(app_dir, class_dir):
    at = open_app()
    at.sidebar.file_uploader(key="upload").upload("evil.safetensors", b"\x80\x04not a checkpoint").run()
    assert any("evil.safetensors was not added" in e.value for e in at.sidebar.error)
    assert not (app_dir / "evil.safetensors").exists() and not list(class_dir.glob("evil*"))

    data = (app_dir / "digits-z2.safetensors").read_bytes()
    at.sidebar.file_uploader(key="upload").upload("my model.safetensors", data).run()
    stored = load_checkpoint(class_dir / "my-model.safetensors")
    original = load_checkpoint(app_dir / "digits-z2.safetensors")
    assert all((stored.model.state_dict()[k] == v).all() for k, v in original.model.state_dict().items())
    assert stored.extra["owner"] == owner_digest(at.session_state["_owner"])
    assert at.sidebar.selectbox(key="model").value == "my-model"
    assert "yours" in at.sidebar.caption[0].value

    # the same name again is a new model beside it, never a replacement; a shared name too
    at.sidebar.file_uploader(key="upload").upload("digits-z2.safetensors", data).run()
    assert at.sidebar.selectbox(key="model").value == "digits-z2-2"
    assert (app_dir / "digits-z2.safetensors").read_bytes() == data


def test_only_the_owner_can_delete_a_model_and_shared_ones_are_read_only(app_dir, class_dir):
    data = (app_dir / "digits-z2.safetensors").read_bytes()
    mine = open_app()
    mine.sidebar.file_uploader(key="upload").upload("mine.safetensors", data).run()
    other = open_app(model="mine")  # another browser session
    assert "a classmate's" in other.sidebar.caption[0].value
    assert not [b for b in other.sidebar.button if b.key == "delete_model"]
    shared = open_app(model="digits-z2")
    assert "shared (read-only)" in shared.sidebar.caption[0].value
    assert not [b for b in shared.sidebar.button if b.key == "delete_model"]
    mine.sidebar.button(key="delete_model").click().run()
    assert not (class_dir / "mine.safetensors").exists()
    assert (app_dir / "digits-z2.safetensors").exists()
    assert mine.sidebar.selectbox(key="model").value != "mine"


def test_server_config_keeps_a_class_server_quiet_and_light():
    """No source watcher (it watched .venv/), no full garbage collection after every script run, warnings only."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    cfg = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["fileWatcherType"] == "none" and cfg["server"]["runOnSave"] is False
    assert cfg["runner"]["postScriptGC"] is False
    assert cfg["logger"]["level"] == "warning"


def test_launcher_turns_the_legacy_pages_mode_off_and_runs_app_py(monkeypatch):
    """`make run` starts ui.serve: `streamlit run app.py` with the older multipage mode off (no "Page not found"
    dialog on a fresh server's first sub-page URL), and the preload in the background."""
    import sys

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    from ui import serve

    seen = {}
    monkeypatch.setattr(cli, "main", lambda: seen.update(argv=list(sys.argv)))
    monkeypatch.setattr(serve, "preload", lambda: seen.update(preloaded=True))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    serve.main(["--server.port", "8765"])
    assert seen["argv"] == ["streamlit", "run", str(serve.APP), "--server.port", "8765"]
    assert PagesManager.uses_pages_directory is False
    assert serve.APP.name == "app.py" and serve.APP.exists()


def test_preload_reads_the_built_in_digits_once_and_starts_the_fork_server():
    from multiprocessing import forkserver

    from ui import serve
    from vae.data.embedded import load_mnist5k

    load_mnist5k.cache_clear()
    serve.preload()
    assert load_mnist5k.cache_info().currsize == 1
    assert forkserver._forkserver._forkserver_alive_fd is not None  # the trainings' fork server is up


def test_a_training_process_that_reruns_app_py_starts_nothing():
    """Streamlit installs app.py as ``__main__``; multiprocessing runs the parent's main script again in every
    training process, as ``__mp_main__`` (``runpy.run_path``, as here). It must not import Streamlit or start the
    app's warm-up there: it did, and each training computed the shipped models' maps beside its own work."""
    import subprocess
    import sys

    code = (
        "import runpy, sys, threading; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
        "print(threading.active_count(), 'streamlit' in sys.modules, 'ui.warmup' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "app.py")], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "False", "False"]


def test_a_lesson_on_home_opens_its_page_on_the_lessons_model(app_dir, monkeypatch):
    """ "5. Posterior collapse" opened on whatever model was current (a healthy one); it now opens the page on the
    lesson's collapsed model (vae.config.shipped.LESSON_PAGES), and a lesson without one stays a plain link."""
    from vae.config.shipped import LESSON_PAGES

    monkeypatch.setattr("vae.config.shipped.LESSON_PAGES", {"collapse": "digits-z4-collapsed"})
    assert "collapse" in LESSON_PAGES  # the shipped declaration has one (tests/test_shipped.py checks the names)
    at = open_app(model="sprites-z4")
    at.switch_page("pages/start/home.py").run()
    assert [b.key for b in at.button if b.key.startswith("lesson_")] == ["lesson_collapse"]
    at.button(key="lesson_collapse").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.sidebar.selectbox(key="model").value == "digits-z4-collapsed"
    assert at.title[0].value == "Posterior collapse"
    assert any("Verdict: COLLAPSED" in e.value for e in at.error)  # the collapsed model's own verdict
