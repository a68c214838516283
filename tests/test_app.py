"""The web app, page by page, driven headlessly with Streamlit's AppTest.

Each test drives widgets and asserts what the page shows: values in the figure JSON,
numbers in tables and metrics, and the messages given for bad input.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import mosaic_cells
from vae import wording
from vae.models.checkpoints import load_checkpoint, read_metadata

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


def open_app(page: str | None = None, model: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    if page:
        from ui.state import PAGE

        at.switch_page(PAGE[page]).run()
    if model:
        at.sidebar.selectbox(key="model").select(model).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def charts(at) -> dict[str, dict]:
    """Plotly figures on the page by widget key (the element id ends in the key)."""
    out = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        out[el.proto.id.rsplit("-", 1)[-1] if el.proto.id else str(len(out))] = spec
    return out


def chart(at, key: str) -> dict:
    found = [spec for k, spec in charts(at).items() if k.endswith(key)]
    assert found, f"no chart {key!r}; have {list(charts(at))}"
    return found[0]


def arr(v) -> np.ndarray:
    """A figure array as numbers: Plotly 7 writes numpy arrays as base64 ``bdata``."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        if isinstance(shape, str):  # a 2-D array's shape is written as "5, 4"
            shape = [int(t) for t in shape.split(",")]
        return a.reshape(shape) if shape is not None else a
    return np.asarray(v)


def images_in(spec: dict) -> int:
    """Pictures in a figure: the cells of an image mosaic (corners in layout.meta), else one per image trace."""
    corners = spec["layout"].get("meta", {}).get("corners") if isinstance(spec["layout"].get("meta"), dict) else None
    return len(corners) if corners is not None else sum(t.get("type") == "image" for t in spec["data"])


def wait_until(at, predicate, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        if predicate(at):
            return at
        time.sleep(0.3)
    raise AssertionError("timed out waiting for the page")


# --------------------------------------------------------------------- home
def test_home_lists_every_model_with_its_numbers(app_dir):
    at = open_app()
    assert not at.dataframe  # a static table: no interactive grid to load on the first page
    df = at.table[0].value
    assert sorted(df["model"]) == sorted(p.stem for p in app_dir.glob("*.safetensors"))
    row = df[df["model"] == "digits-z2"].iloc[0]
    meta = read_metadata(app_dir / "digits-z2.safetensors")
    assert row["test -ELBO"] == pytest.approx(meta["metrics"]["elbo"])
    assert row["latent"] == 2 and row["dataset"] == "digits"
    assert any("ELBO" in m.value for m in at.markdown)
    assert len(at.get("page_link")) >= 6


def test_the_model_picked_on_one_page_is_current_on_every_other(app_dir):
    """The sidebar is drawn by app.py, so its picker is one widget for all pages, not a new one per page."""
    from ui.state import PAGE

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


# ------------------------------------------------------------------ sidebar
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
    assert stored.extra["owner"] == at.session_state["_owner"]
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


# -------------------------------------------------------------------- train
def test_preset_fills_the_form(app_dir):
    at = open_app("train")
    at.selectbox(key="preset").select("beta-VAE on sprites")
    at.button(key="apply_preset").click().run()
    assert at.selectbox(key="dataset").value == "sprites"
    assert at.selectbox(key="arch").value == "cnn"
    assert at.text_input(key="hidden").value == "32 64"
    assert at.number_input(key="beta").value == 4.0
    assert at.number_input(key="latent_dim").value == 10
    assert at.number_input(key="sprites_size").disabled is False
    assert at.number_input(key="bins").disabled is True  # only for the categorical likelihood


@pytest.mark.parametrize("widget,value,message", [
    ("hidden", "64 abc", "hidden must be integers"),
    ("name", "../escape", "a model name uses"),
])
def test_impossible_settings_are_refused_with_a_reason(app_dir, widget, value, message):
    at = open_app("train")
    at.text_input(key=widget).input(value)
    at.button(key="start").click().run()
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert "train_job" not in at.session_state  # nothing was submitted
    assert sorted(p.stem for p in app_dir.glob("*.safetensors")) == ["digits-z2", "digits-z4-collapsed", "sprites-z4"]


def test_training_from_the_form_saves_a_model_and_makes_it_current(app_dir, class_dir):
    at = open_app("train")
    at.selectbox(key="dataset").select("digits")
    at.text_input(key="hidden").input("16")
    at.number_input(key="latent_dim").set_value(3)
    at.number_input(key="epochs").set_value(3)
    at.number_input(key="batch_size").set_value(64)
    at.text_input(key="name").input("from-form")
    at.button(key="start").click().run()
    assert not at.error, [e.value for e in at.error]
    wait_until(at, lambda a: a.success)
    assert "saved from-form.safetensors" in at.success[0].value
    ck = load_checkpoint(class_dir / "from-form.safetensors")
    assert ck.extra["owner"] == at.session_state["_owner"]
    assert ck.extra["reports"]["collapse"]["iwae_k"] == 100  # computed once, at save time
    assert ck.config.latent_dim == 3 and ck.config.encoder.hidden == [16] and len(ck.history) == 3
    assert at.sidebar.selectbox(key="model").value == "from-form"
    curves = chart(at, "curves")
    test_trace = next(t for t in curves["data"] if t["name"] == "test -ELBO")
    assert len(arr(test_trace["x"])) == 3
    assert np.allclose(arr(test_trace["y"]), [h["test_elbo"] for h in ck.history])
    assert images_in(chart(at, "preview")) == 16  # 8 test images and their reconstructions


def test_a_second_training_waits_in_the_queue(app_dir):
    from ui.state import training_queue
    from vae.config.knobs import apply
    from vae.config import VAEConfig

    queue = training_queue()
    blocker = queue.submit(apply(VAEConfig(), {"dataset": "digits", "hidden": [16], "epochs": 200}), "blocker")
    try:
        at = open_app("train")
        at.selectbox(key="dataset").select("digits")
        at.text_input(key="name").input("second")
        at.button(key="start").click().run()
        assert any("position 1 of 1" in i.value for i in at.info), [i.value for i in at.info]
        assert "blocker" in list(at.dataframe[-1].value["model"])
    finally:
        blocker.request_stop()
        for j in queue.jobs():
            j.request_stop()
        for j in queue.jobs():
            queue.wait(j, 60)


# ---------------------------------------------------------- reconstructions
def test_reconstructions_and_samples(app_dir):
    at = open_app("samples", model="digits-z2")
    assert images_in(chart(at, "reconstructions")) == 3 * 10
    at.radio(key="rec_how").set_value("by index").run()
    at.text_input(key="rec_indices").input("0 5 7").run()
    rec = chart(at, "reconstructions")
    assert images_in(rec) == 9
    assert [a["text"] for a in rec["layout"]["annotations"]][:3] == ["#0", "#5", "#7"] or \
        {"#0", "#5", "#7"} <= {a["text"] for a in rec["layout"]["annotations"]}
    at.text_input(key="rec_indices").input("0 99999").run()
    assert any("out of range: [99999]" in e.value for e in at.error)

    at.slider(key="temperature").set_value(0.0).run()
    samples = chart(at, "samples")
    pictures = mosaic_cells(samples)
    assert images_in(samples) == 32 and all(np.array_equal(p, pictures[0]) for p in pictures)  # T = 0: z = 0
    at.slider(key="temperature").set_value(1.0).run()
    pictures = mosaic_cells(chart(at, "samples"))
    assert not all(np.array_equal(p, pictures[0]) for p in pictures)


# --------------------------------------------------------------- traversals
def test_traversal_figure_has_a_frame_per_step_and_kl_labels(app_dir):
    at = open_app("traversals", model="digits-z2")
    at.slider(key="trav_steps").set_value(7).run()
    trav = chart(at, "traversal")
    assert len(trav["frames"]) == 7
    assert len(trav["layout"]["sliders"][0]["steps"]) == 7 and not trav["layout"].get("updatemenus")
    ck = load_checkpoint(app_dir / "digits-z2.safetensors")
    kl = ck.metrics["kl_per_dim"]
    labels = sorted(a["text"] for a in trav["layout"]["annotations"])
    assert labels == sorted(f"z{j} (KL {kl[j]:.2f})" for j in range(2))
    assert len(at.get("download_button")) == 3
    man = chart(at, "manifold")  # a 2-D latent also shows the manifold
    assert images_in(man) == 1 and len(man["data"]) > 1  # the grid plus the posterior means


def test_interpolation_and_no_manifold_for_wider_latents(app_dir):
    at = open_app("traversals", model="digits-z4-collapsed")
    at.number_input(key="interp_a").set_value(3)
    at.number_input(key="interp_b").set_value(9)
    at.slider(key="interp_steps").set_value(5).run()
    interp = chart(at, "interpolation")
    assert len(interp["frames"]) == 5
    assert "manifold" not in "".join(charts(at))
    assert any("needs a 2-D latent" in c.value for c in at.caption)


# --------------------------------------------------------------- latent map
def test_latent_map_projects_and_inspects_points(app_dir):
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import posterior

    at = open_app("latent_map", model="digits-z2")
    scatter = chart(at, "map")
    n_points = sum(len(arr(t["x"])) for t in scatter["data"])
    assert scatter["layout"]["title"]["text"] == "Posterior means, PCA"
    assert n_points == 360  # the whole digits test split (fewer than the 2,000-point limit)
    at.text_input(key="map_indices").input("4 11").run()
    post = chart(at, "picked_posterior")
    ck = load_checkpoint(app_dir / "digits-z2.safetensors")
    _, x, _, _ = checkpoint_split(ck, "test")
    mu, sd = posterior(ck.model, x[[4]])
    assert np.allclose(arr(post["data"][0]["y"]), mu[0], atol=1e-5)
    assert np.allclose(arr(post["data"][0]["error_y"]["array"]), sd[0], atol=1e-5)
    assert len(chart(at, "picked_interpolation")["frames"]) == 11
    at.text_input(key="map_indices").input("x").run()
    assert any("whole numbers" in e.value for e in at.error)


def test_latent_map_colours_sprites_by_factor(app_dir):
    at = open_app("latent_map", model="sprites-z4")
    at.selectbox(key="map_colour").select("shape").run()
    scatter = chart(at, "map")
    assert scatter["layout"]["legend"]["title"]["text"] == "shape"
    from vae.data.sprites import SPRITE_FACTORS

    assert len(scatter["data"]) == SPRITE_FACTORS["shape"]  # one trace per shape


# ---------------------------------------------------------------- collapse
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
    assert metrics["active units"] == f"{rep['active_units']} / 4"
    assert np.allclose(sorted(arr(chart(at, "kl_bars")["data"][0]["y"]), reverse=True),
                       sorted(rep["kl_per_dim"], reverse=True), atol=1e-6)
    assert chart(at, "active_units")["layout"]["yaxis"]["type"] == "log"
    heat = chart(at, "kl_heatmap")
    assert len(arr(heat["data"][0]["x"])) == len(ck.history)

    titles = [wording.remedy_title(r) for r in rep["remedies"]]
    at.button(key=f"remedy_{titles.index('Free bits')}").click().run()
    assert at.number_input(key="free_bits").value == 0.5  # the Train page, pre-filled
    assert at.number_input(key="beta").value == 200.0 and at.number_input(key="latent_dim").value == 4
    assert at.text_input(key="name").value == "digits-z4-collapsed-free-bits"


def test_healthy_model_has_no_remedies(app_dir):
    at = open_app("collapse", model="digits-z2")
    assert any("HEALTHY" in s.value for s in at.success)
    assert not [b for b in at.button if b.key and b.key.startswith("remedy_")]


# ----------------------------------------------------------------- compare
def test_compare_plane_sweep_and_disentanglement(app_dir, class_dir):
    at = open_app("compare", model="digits-z2")
    rd = chart(at, "rd")
    names = rd["data"][0]["text"]
    assert sorted(names) == ["digits-z2", "digits-z4-collapsed", "sprites-z4"]
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
    wait_until(at, lambda a: all(p.exists() for p in new) and
               len(chart(a, "rd")["data"][0]["text"]) == 5, timeout=90)
    assert load_checkpoint(class_dir / "digits-z2-beta4.safetensors").config.objective.beta == 4.0


# ------------------------------------------------------------ classroom server
def test_changing_the_family_switches_the_width_defaults(app_dir):
    at = open_app("train")
    assert at.text_input(key="hidden").value == "400"
    at.selectbox(key="arch").select("resnet").run()
    assert at.text_input(key="hidden").value == "32 64" and at.text_input(key="decoder_hidden").value == ""
    at.selectbox(key="decoder_arch").select("mlp").run()
    assert at.text_input(key="decoder_hidden").value == "400"
    at.selectbox(key="decoder_arch").select("same as encoder").run()
    assert at.text_input(key="decoder_hidden").value == ""
    at.selectbox(key="arch").select("mlp").run()
    assert at.text_input(key="hidden").value == "400"


def test_the_form_shows_the_estimate_and_refuses_a_run_over_the_budget(app_dir, class_dir, monkeypatch):
    at = open_app("train")
    at.selectbox(key="dataset").select("digits").run()
    cap = next(c.value for c in at.caption if c.value.startswith("Estimated on this server"))
    assert "per epoch (12 steps of" in cap and "Limit per training: 5 min" in cap
    monkeypatch.setenv("VAE_MAX_TRAIN_SECONDS", "0.5")
    at.number_input(key="epochs").set_value(5000).run()
    assert any("Over this server's limit" in w.value and "this server allows 0.50 s" in w.value for w in at.warning)
    at.button(key="start").click().run()
    assert any("Cannot start: this training would take" in e.value and "epoch(s) or fewer" in e.value
               for e in at.error), [e.value for e in at.error]
    assert "train_job" not in at.session_state and not list(class_dir.glob("*.safetensors"))


def test_the_warm_up_times_the_train_forms_defaults_so_no_visitor_waits_for_them(app_dir, monkeypatch):
    """A fresh Train page's estimate (the server's reference models timed, 1.3 s) is computed at server start;
    the page reads it from the cache."""
    import vae.service.cost
    from ui import compute, warmup

    compute.cost_estimate.clear()
    warmup.warm_train_form()
    timed = []
    real = vae.service.cost.server_estimate
    monkeypatch.setattr(vae.service.cost, "server_estimate", lambda cfg, *a: timed.append(cfg) or real(cfg, *a))
    at = open_app("train")
    assert any(c.value.startswith("Estimated on this server") for c in at.caption)
    assert timed == []  # the page's default configuration is the one the warm-up timed
    at.number_input(key="epochs").set_value(3).run()
    assert len(timed) == 1  # ...and a changed form is timed by the page (the check can fail)


def test_no_server_paths_in_the_form_and_own_data_arrives_as_an_upload(app_dir, class_dir, tmp_path):
    import io

    at = open_app("train")
    assert not [t for t in at.text_input if t.key in ("data_path", "data_root")]
    at.selectbox(key="dataset").select("npz").run()
    at.button(key="start").click().run()
    assert any("upload your npz file first" in e.value for e in at.error)
    at.file_uploader(key="data_upload").upload("bad.npz", b"not a zip at all").run()
    assert any(e.value.startswith("bad.npz:") for e in at.error), [e.value for e in at.error]
    assert not list((class_dir / "uploads").glob("*.npz"))  # a bad upload is not kept

    buf = io.BytesIO()
    np.savez(buf, x=np.random.default_rng(0).random((120, 8, 8)).astype(np.float32))
    at.file_uploader(key="data_upload").upload("mine.npz", buf.getvalue()).run()
    stored = list((class_dir / "uploads").glob("*.npz"))
    assert len(stored) == 1 and any("Using your upload" in c.value for c in at.caption)
    at.text_input(key="hidden").input("16")
    at.number_input(key="latent_dim").set_value(2)
    at.number_input(key="epochs").set_value(2)
    at.text_input(key="name").input("my-data")
    at.button(key="start").click().run()
    wait_until(at, lambda a: a.success)
    ck = load_checkpoint(class_dir / "my-data.safetensors")
    assert ck.config.data.name == "npz" and Path(ck.config.data.path) == stored[0]
    # a forged server path (e.g. through the URL) is never used
    at2 = open_app("train")
    at2.session_state["data_path"] = "/etc/passwd"
    at2.selectbox(key="dataset").select("npz").run()
    at2.button(key="start").click().run()
    assert any("upload your npz file first" in e.value for e in at2.error)


def test_a_torchvision_dataset_missing_from_the_data_folder_is_named(app_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_DATA_ROOT", str(tmp_path / "data"))
    at = open_app("train")
    at.selectbox(key="dataset").select("fashion-mnist").run()
    assert any("fashion-mnist is not on this server" in w.value and "VAE_DATA_ROOT" in w.value for w in at.warning)


def test_warm_up_fills_the_caches_the_pages_read(app_dir, monkeypatch):
    from ui import warmup
    from ui.state import checkpoint_paths, load
    from vae.analysis.projections import DEFAULT_CACHE, ProjectionCache

    path = next(p for p in checkpoint_paths() if p.stem == "digits-z2")
    warmup.warm(path)  # what the warm-up thread does for each shared model (not in this thread: it lowers its priority)
    ck = load(path)
    for method in ("pca", "tsne"):
        assert ProjectionCache.key(ck.digest, "test", method, 2000, 0) in DEFAULT_CACHE._mem
    import vae.analysis.diagnostics
    import vae.analysis.projections

    def computed_again(*a, **k):
        raise AssertionError("a page computed what the warm-up had computed")

    monkeypatch.setattr(vae.analysis.projections, "project_model", computed_again)
    monkeypatch.setattr(vae.analysis.diagnostics, "collapse_report", computed_again)
    for page in ("latent_map", "collapse", "traversals"):
        at = open_app(page, model="digits-z2")  # the pages find everything computed
        assert not at.exception


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
    at.button(key="fix_train_with_free_bits_").click().run()
    assert at.number_input(key="free_bits").value == 0.5
    assert at.selectbox(key="decoder_arch").value == "pixelcnn"
    assert at.text_input(key="decoder_hidden").value == "8 8"
    assert any("Receptive field" in c.value and "4 rows up" in c.value for c in at.caption)


def test_pages_say_that_a_pixelcnn_model_draws_samples(app_dir, pixelcnn_model):
    import shutil

    shutil.copy(pixelcnn_model, app_dir)
    for page in ("samples", "traversals"):
        at = open_app(page, model="digits-z4-pixelcnn")
        assert any("pixel by pixel" in i.value for i in at.info), page
    assert at.slider(key="trav_dims").value == 4  # at most 60 images: 4 dims x 11 steps
    trav = chart(at, "traversal")
    assert images_in(trav) == 4


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


def test_disentanglement_page_shows_which_latent_holds_which_factor_and_trains_the_preset(app_dir):
    from ui.state import training_queue
    from vae.analysis.disentanglement import disentanglement_scores
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import posterior

    at = open_app("disentanglement")
    at.selectbox(key="dis_model").select("sprites-z4").run()
    assert not at.exception, [e.message for e in at.exception]
    ck = load_checkpoint(app_dir / "sprites-z4.safetensors")
    ds, x, _, f = checkpoint_split(ck, "test")
    s = disentanglement_scores(posterior(ck.model, x)[0], f, ds.factor_names)
    heat = chart(at, "dis_mi")["data"][0]
    assert np.allclose(arr(heat["z"]), np.asarray(s["mi_matrix"]).T, atol=1e-9)
    assert list(heat["y"]) == ["shape", "scale", "rotation", "x", "y"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["MIG"] == f"{s['mig']:.3f}" and metrics["FactorVAE score"] == f"{s['factorvae_score']:.3f}"
    assert metrics["DCI disentanglement"] == f"{s['dci']['disentanglement']:.3f}"
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


# ------------------------------------------------------------------ server set-up
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
    from ui import serve
    from vae.data.embedded import load_mnist5k

    from multiprocessing import forkserver

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

    code = ("import runpy, sys, threading; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
            "print(threading.active_count(), 'streamlit' in sys.modules, 'ui.warmup' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "app.py")], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "False", "False"]
