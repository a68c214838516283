"""The Explore section: reconstructions and samples, traversals and interpolations, the latent map (AppTest).

Each test drives widgets and asserts what the page shows: values in the figure JSON,
numbers in tables and metrics, and the messages given for bad input.
"""

from __future__ import annotations

import numpy as np

from tests.app_helpers import arr, chart, charts, images_in, open_app
from tests.conftest import mosaic_cells
from vae.figures.plots import CLASS_COLOURS
from vae.models.checkpoints import load_checkpoint


def test_reconstructions_and_samples(app_dir):
    at = open_app("samples", model="digits-z2")
    assert images_in(chart(at, "reconstructions")) == 3 * 10
    at.radio(key="rec_how").set_value("by index").run()
    at.text_input(key="rec_indices").input("0 5 7").run()
    rec = chart(at, "reconstructions")
    assert images_in(rec) == 9
    assert [a["text"] for a in rec["layout"]["annotations"]][:3] == ["#0", "#5", "#7"] or {"#0", "#5", "#7"} <= {
        a["text"] for a in rec["layout"]["annotations"]
    }
    at.text_input(key="rec_indices").input("0 99999").run()
    assert any("out of range: [99999]" in e.value for e in at.error)

    at.slider(key="temperature").set_value(0.0).run()
    samples = chart(at, "samples")
    pictures = mosaic_cells(samples)
    assert images_in(samples) == 32 and all(np.array_equal(p, pictures[0]) for p in pictures)  # T = 0: z = 0
    at.slider(key="temperature").set_value(1.0).run()
    pictures = mosaic_cells(chart(at, "samples"))
    assert not all(np.array_equal(p, pictures[0]) for p in pictures)


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
    # beside it, the classic grid: a row per dimension (most KL first), a column per offset, cells a room can read
    grid = chart(at, "traversal_grid")
    order = sorted(range(2), key=lambda j: -kl[j])
    assert grid["layout"]["yaxis"]["ticktext"] == [f"z{j} (KL {kl[j]:.2f})" for j in order]
    assert grid["layout"]["xaxis"]["ticktext"] == [f"{v:+.1f}" for v in np.linspace(-3, 3, 7)]
    rows_px = grid["layout"]["height"] - grid["layout"]["margin"]["t"] - grid["layout"]["margin"]["b"]
    assert rows_px / 2 >= 60 and images_in(grid) == 2 * 7 and len(grid["data"]) == 1
    at.slider(key="trav_steps").set_value(11).run()  # more steps than a room can read side by side: 7 of them
    assert chart(at, "traversal_grid")["layout"]["xaxis"]["ticktext"] == [f"{v:+.1f}" for v in np.linspace(-3, 3, 7)]
    assert len(at.get("download_button")) == 3
    man = chart(at, "manifold")  # a 2-D latent also shows the manifold, large, and bare until asked
    assert images_in(man) == 1 and len(man["data"]) == 1 and man["layout"]["height"] >= 600
    at.toggle(key="manifold_points").set_value(True).run()
    man = chart(at, "manifold")  # the grid plus the posterior means, in the class colours, none off its edges
    n = at.slider(key="manifold_n").value
    h, w = 8, 8  # digits
    assert len(man["data"]) > 1 and {t["marker"]["color"] for t in man["data"][1:]} <= set(CLASS_COLOURS)
    xs = np.concatenate([arr(t["x"]) for t in man["data"][1:]])
    ys = np.concatenate([arr(t["y"]) for t in man["data"][1:]])
    assert xs.min() >= 0 and xs.max() <= n * w and ys.min() >= 0 and ys.max() <= n * h


def test_interpolation_and_no_manifold_for_wider_latents(app_dir):
    at = open_app("traversals", model="digits-z4-collapsed")
    at.number_input(key="interp_a").set_value(3)
    at.number_input(key="interp_b").set_value(9)
    at.slider(key="interp_steps").set_value(5).run()
    interp = chart(at, "interpolation")
    assert len(interp["frames"]) == 5
    assert "manifold" not in "".join(charts(at))
    assert any("needs a 2-D latent" in c.value for c in at.caption)


def test_latent_map_projects_and_inspects_points(app_dir):
    from vae.analysis.evaluation import checkpoint_split
    from vae.analysis.explore import posterior

    at = open_app("latent_map", model="digits-z2")
    scatter = chart(at, "map")
    n_points = sum(len(arr(t["x"])) for t in scatter["data"])
    assert scatter["layout"]["title"]["text"] == "Posterior means, PCA"
    assert n_points == 360  # the whole digits test split (fewer than the 2,000-point limit)
    # the time a projection took when it was made, said as such (it read "t-SNE of 1000 points: 20.0 s" after a
    # 1.6 s page run: the stored time, as if it were this one's)
    assert any("PCA of 360 points, computed once in" in s.label for s in at.status)
    slider = at.select_slider(key="map_limit")  # and the slider says so: its last choice is the split's size
    assert slider.value == 360 and list(slider.options) == ["360"]
    at.radio(key="map_split").set_value("train").run()  # 1,437 training digits: 500, 1000, then all of them
    assert list(at.select_slider(key="map_limit").options) == ["500", "1000", "1437"]
    at.select_slider(key="map_limit").set_value(1437).run()
    at.radio(key="map_split").set_value("test").run()  # back to a smaller split: its size, no error
    assert not at.exception and at.select_slider(key="map_limit").value == 360
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


def test_pages_say_that_a_pixelcnn_model_draws_samples(app_dir, pixelcnn_model):
    import shutil

    shutil.copy(pixelcnn_model, app_dir)
    for page in ("samples", "traversals"):
        at = open_app(page, model="digits-z4-pixelcnn")
        assert any("pixel by pixel" in i.value for i in at.info), page
    assert at.slider(key="trav_dims").value == 4  # at most 60 images: 4 dims x 11 steps
    trav = chart(at, "traversal")
    assert images_in(trav) == 4


def test_every_page_opens_on_a_model_with_a_one_dimensional_latent(app_dir):
    """The shipped latent-size sweep starts at d_z = 1; the traversal page asked for a slider from 1 to 1, which
    Streamlit refuses (found by bench/protocol_load's pick scenario). Every page opens on such a model."""
    from tests.conftest import tiny_config
    from ui.navigation import PAGE
    from vae.models.checkpoints import save_checkpoint
    from vae.training.trainer import train

    r = train(tiny_config(latent_dim=1))
    save_checkpoint(app_dir / "digits-z1.safetensors", r.model, r.history, r.metrics, dataset=r.dataset)
    at = open_app(model="digits-z1")
    for page in PAGE:
        at.switch_page(PAGE[page]).run()
        assert not at.exception, (page, [e.message for e in at.exception])
    at.switch_page(PAGE["traversals"]).run()
    assert chart(at, "traversal")["data"]  # the one dimension, traversed
