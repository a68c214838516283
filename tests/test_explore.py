"""Traversals, interpolations, samples, manifold, projections and their figures."""

import json

import numpy as np
import pytest
import torch

from tests.conftest import mosaic_cells, png_pixels, tiny_config
from vae.analysis.explore import (
    decode,
    interpolation,
    manifold,
    nearest_training_examples,
    posterior,
    prior_samples,
    reconstructions,
    slerp,
    traversal,
)
from vae.analysis.projections import ProjectionCache, project_codes, project_model, subsample
from vae.data.embedded import load_digits
from vae.data.modality import Image
from vae.figures import plots as figures
from vae.models.vae import VAE


@pytest.fixture(scope="module")
def model(trained_digits):
    return trained_digits.model.eval()


def _title_over(spec: dict, k: int) -> str:
    """The annotation centred above image k of a mosaic figure."""
    (x, y), (_, w) = spec["layout"]["meta"]["corners"][k], spec["layout"]["meta"]["size"]
    above = [a for a in spec["layout"]["annotations"] if abs(a["x"] - (x + (w - 1) / 2)) < 1e-6 and a["y"] < y]
    return max(above, key=lambda a: a["y"])["text"]


def test_traversal_values_and_images(model, trained_digits):
    kl = trained_digits.metrics["kl_per_dim"]
    tr = traversal(model, kl_per_dim=kl, span=2.0, steps=5)
    assert tr.dims == list(np.argsort(-np.asarray(kl), kind="stable")) and tr.images.shape == (6, 5, 1, 8, 8)
    j = tr.dims[0]
    assert np.allclose(tr.z[0, :, j], [-2, -1, 0, 1, 2]) and np.allclose(np.delete(tr.z[0], j, 1), 0)
    with torch.no_grad():
        direct = model.decode_mean(torch.as_tensor(tr.z[0])).numpy()
    np.testing.assert_allclose(tr.images[0], direct, atol=1e-6)


def test_traversal_from_example(model):
    x = load_digits().x_test[:1]
    mu = posterior(model, x)[0][0]
    tr = traversal(model, dims=[2], span=1.0, steps=3, z0=mu)
    assert np.allclose(tr.z[0, 1], mu) and tr.z[0, 0, 2] == pytest.approx(mu[2] - 1)


def test_traversal_figure_frames_and_pixels(model, trained_digits):
    tr = traversal(model, kl_per_dim=trained_digits.metrics["kl_per_dim"], steps=7, max_dims=4)
    fig = figures.traversal_figure(tr)
    spec = json.loads(fig.to_json())
    assert len(spec["frames"]) == 7 and all(len(f["data"]) == 1 for f in spec["frames"])
    assert len(spec["layout"]["meta"]["corners"]) == 4
    assert not spec["layout"].get("updatemenus")  # no play button
    assert [s["label"] for s in spec["layout"]["sliders"][0]["steps"]] == [f"{v:+.2f}" for v in tr.values]
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert titles[0].startswith(f"z{tr.dims[0]} (KL ")
    # frame 6, panel 2 is dimension dims[2] at +3 sd: decode it and compare pixels
    z = np.zeros((1, 6), np.float32)
    z[0, tr.dims[2]] = 3.0
    expected = np.round(decode(model, z)[0, 0] * 255)
    got = mosaic_cells(spec, spec["frames"][6]["data"][0]["source"])[2]
    assert np.abs(got.astype(float) - expected).max() <= 1


@pytest.mark.parametrize("n_dims,ncols", [(10, 8), (6, 6), (3, 8), (13, 5)])
def test_animated_figures_have_no_ghost_panels(n_dims, ncols):
    """Every image trace moves with the slider: as many traces as each frame updates, in order."""
    from types import SimpleNamespace

    from vae.analysis.explore import Interpolation

    rng = np.random.default_rng(0)
    trav = SimpleNamespace(
        images=rng.random((n_dims, 5, 1, 8, 8)),
        dims=list(range(n_dims)),
        kl=[1.0] * n_dims,
        values=np.linspace(-3, 3, 5),
    )
    spec = json.loads(figures.traversal_figure(trav, ncols=ncols).to_json())
    images = [t for t in spec["data"] if t["type"] == "image"]
    assert len(images) == 1 and len(spec["layout"]["meta"]["corners"]) == n_dims
    for frame in spec["frames"]:  # each frame replaces the one image: no panel is left behind
        assert len(frame["data"]) == len(images) and frame["traces"] == [0]
        assert len(mosaic_cells(spec, frame["data"][0]["source"])) == n_dims
    # frame s, panel k shows dimension k at step s, under the title z{k}
    expected = np.round(trav.images[7 % n_dims, 3, 0] * 255)
    assert (
        np.abs(mosaic_cells(spec, spec["frames"][3]["data"][0]["source"])[7 % n_dims].astype(float) - expected).max()
        <= 1
    )
    for k in range(n_dims):
        assert _title_over(spec, k).startswith(f"z{k} ")
    # the first frame is what the figure shows before the slider moves
    assert np.array_equal(png_pixels(images[0]["source"]), png_pixels(spec["frames"][0]["data"][0]["source"]))
    interp = Interpolation(np.linspace(0, 1, 4), np.zeros((4, 2)), rng.random((4, 1, 8, 8)), "linear")
    spec = json.loads(figures.interpolation_figure(interp).to_json())
    assert sum(t["type"] == "image" for t in spec["data"]) == 1
    assert all(len(f["data"]) == 1 and f["traces"] == [0] for f in spec["frames"])
    mid = [mosaic_cells(spec, f["data"][0]["source"])[1] for f in spec["frames"]]  # the middle panel moves
    assert np.abs(mid[2].astype(float) - np.round(interp.images[2, 0] * 255)).max() <= 1


def test_traversal_figure_refuses_too_many_images(model):
    with pytest.raises(ValueError, match="exceed"):
        figures.traversal_figure(traversal(model, steps=200))


def test_interpolation_linear_and_slerp(model):
    a, b = np.array([1.0, 0, 0, 0, 0, 0]), np.array([0, 1.0, 0, 0, 0, 0])
    lin = interpolation(model, a, b, steps=5)
    assert np.allclose(lin.z[2], [0.5, 0.5, 0, 0, 0, 0])
    sl = interpolation(model, a, b, steps=5, method="slerp")
    assert np.allclose(np.linalg.norm(sl.z, axis=1), 1.0, atol=1e-6)  # stays on the shell
    assert np.allclose(sl.z[0], a) and np.allclose(sl.z[-1], b)
    np.testing.assert_allclose(sl.images, decode(model, sl.z), atol=1e-6)
    fig = json.loads(figures.interpolation_figure(sl).to_json())
    assert len(fig["frames"]) == 5 and len(fig["layout"]["meta"]["corners"]) == 3


def test_slerp_degenerate_cases():
    t = np.linspace(0, 1, 3)
    assert np.allclose(slerp(np.zeros(2), np.ones(2), t)[1], [0.5, 0.5])
    assert np.allclose(slerp(np.ones(2), 2 * np.ones(2), t)[1], [1.5, 1.5])


def test_manifold_requires_2d_and_orders_grid():
    from vae.errors import ConfigError

    m2 = VAE(tiny_config(latent_dim=2), (1, 8, 8)).eval()
    grid, imgs = manifold(m2, n=5)
    assert imgs.shape == (5, 5, 1, 8, 8) and grid[0] < 0 < grid[-1]
    np.testing.assert_allclose(imgs[0, -1], decode(m2, [[grid[-1], grid[-1]]])[0], atol=1e-6)  # top right
    fig = figures.manifold_figure(grid, imgs)
    assert fig.layout.xaxis.title.text == "z1"
    # a posterior mean at the grid's top-right z lands on the centre of the top-right tile
    fig = figures.manifold_figure(
        grid, imgs, points=np.array([[grid[-1], grid[-1]], [grid[0], grid[0]]]), labels=np.array([0, 1])
    )
    top_right, bottom_left = [(float(t.x[0]), float(t.y[0])) for t in fig.data[1:3]]
    assert top_right == pytest.approx((4 * 8 + 4, 4))  # column 4, row 0, 8-pixel tiles
    assert bottom_left == pytest.approx((4, 4 * 8 + 4))
    with pytest.raises(ConfigError, match="2-D latent"):
        manifold(VAE(tiny_config(latent_dim=3), (1, 8, 8)))


def test_reconstructions_and_samples(model):
    x = load_digits().x_test
    r = reconstructions(model, x, [3, 1])
    assert r.original.shape == r.mean.shape == r.sample.shape == (2, 1, 8, 8)
    assert np.allclose(r.original[0], x[3].numpy())
    z, imgs = prior_samples(model, 6, temperature=0.5, seed=1)
    assert imgs.shape == (6, 1, 8, 8) and abs(z.std() - 0.5) < 0.25
    assert np.array_equal(prior_samples(model, 6, 0.5, seed=1)[1], imgs)


def test_nearest_training_examples():
    x = load_digits().x_train
    idx, dist = nearest_training_examples(x[[5, 100]].numpy(), x, Image(x.shape[1:]), chunk=64)
    assert idx.tolist() == [5, 100] and np.allclose(dist, 0)


def test_image_grid_figure():
    imgs = np.random.RandomState(0).rand(12, 1, 8, 8)
    fig = json.loads(figures.image_grid(imgs, ncols=4, titles=[str(i) for i in range(12)]).to_json())
    assert len(fig["data"]) == 1 and len(fig["layout"]["meta"]["corners"]) == 12
    assert sorted(a["text"] for a in fig["layout"]["annotations"]) == sorted(str(i) for i in range(12))
    assert np.array_equal(mosaic_cells(fig, fig["data"][0]["source"])[7], np.round(imgs[7, 0] * 255))
    assert _title_over(fig, 7) == "7" and _title_over(fig, 11) == "11"


def test_training_figures(trained_digits):
    from vae.analysis.diagnostics import kl_history

    h = trained_digits.history
    curves = json.loads(figures.training_curves(h).to_json())
    assert len(curves["data"]) == 6 and curves["data"][1]["y"] == [r["test_elbo"] for r in h]
    # a long run: each axis spans the curves after their first tenth, so a late rise of a few nats shows
    long = [
        {
            f"{s}_{k}": (500.0 if e < 3 else 100.0 + (e > 30) * 10.0) * (0.1 if k == "kl" else 1)
            for s in ("train", "test")
            for k in ("elbo", "reconstruction", "kl")
        }
        | {"epoch": e}
        for e in range(1, 41)
    ]
    fig = figures.training_curves(long)
    assert fig.layout.yaxis.range[0] < 100 and 110 < fig.layout.yaxis.range[1] < 120
    assert 10 < fig.layout.yaxis2.range[1] < 12 and figures.training_curves(h).layout.yaxis.range is None
    heat = figures.kl_heatmap(kl_history(h))
    assert np.allclose(heat.data[0].z[-1], h[-1]["kl_per_dim"])
    bars = json.loads(figures.kl_bars([0.1, 3.0, 1.0]).to_json())
    assert bars["data"][0]["x"] == ["z1", "z2", "z0"]
    au = figures.active_units_figure([0.5, 0.001])
    assert au.layout.yaxis.type == "log" and au.layout.shapes[0].y0 == 0.01
    assert au.layout.title.text == "Active units: 1 of 2" and list(au.data[0].y) == [0.5, 0.001]


def test_rate_distortion_figure():
    pts = [
        {"name": "b1", "rate": 20.0, "distortion": 120.0, "beta": 1.0},
        {"name": "b8", "rate": 2.0, "distortion": 190.0, "beta": 8.0},
    ]
    fig = figures.rate_distortion(pts)
    assert list(fig.data[0].x) == [20.0, 2.0] and list(fig.data[0].customdata[1]) == ["b8", "8.0"]


# ------------------------------------------------------------- projections
@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_projection_keeps_index_and_labels_aligned(method):
    rng = np.random.RandomState(0)
    labels = np.repeat([0, 1, 2], 100)
    codes = rng.randn(300, 5) * 0.3 + labels[:, None] * 4.0  # three separated clusters
    p = project_codes(codes, labels, method, limit=150, seed=1)
    assert p.coords.shape == (150, 2) and np.array_equal(p.labels, labels[p.index])
    assert np.array_equal(p.index, np.sort(p.index)) and len(set(p.index)) == 150
    centers = np.array([p.coords[p.labels == k].mean(0) for k in range(3)])
    spread = max(p.coords[p.labels == k].std(0).max() for k in range(3))
    assert min(np.linalg.norm(centers[i] - centers[j]) for i in range(3) for j in range(i)) > 2 * spread
    first = figures.projection_scatter(p.coords, p.labels, p.index, ["a", "b", "c"], method).data[0]
    assert first.name == "a" and [int(c[0]) for c in first.customdata] == p.index[p.labels == 0].tolist()


def test_projection_cache_memory_and_disk(digits_checkpoint, tmp_path):
    from vae.models.checkpoints import load_checkpoint

    ck = load_checkpoint(digits_checkpoint)
    d = load_digits()
    cache = ProjectionCache(tmp_path)
    a = project_model(ck, d.x_test, d.y_test.numpy(), "test", "pca", cache=cache)
    b = project_model(ck, d.x_test, d.y_test.numpy(), "test", "pca", cache=cache)
    assert cache.computed == 1 and not a.cached and b.cached and np.array_equal(a.coords, b.coords)
    fresh = ProjectionCache(tmp_path)  # a new process: served from disk
    c = project_model(ck, d.x_test, d.y_test.numpy(), "test", "pca", cache=fresh)
    assert fresh.computed == 0 and c.cached and np.array_equal(c.index, a.index)
    project_model(ck, d.x_test, d.y_test.numpy(), "test", "pca", limit=50, cache=cache)
    assert cache.computed == 2  # another key


def test_projection_errors():
    from vae.errors import ConfigError

    with pytest.raises(ConfigError, match="one of pca, tsne, umap"):
        project_codes(np.zeros((10, 2)), np.zeros(10), "mds")
    assert subsample(10, None).tolist() == list(range(10))


def test_first_letter_agreement_tells_a_decoder_that_uses_z():
    from vae.analysis.explore import first_letter_agreement

    uses_z = [["anna", "anton", "ada"], ["bert", "bob", "berta"]]  # rows: z; columns: seeds
    ignores_z = [["anna", "bob", "carl"], ["ada", "bert", "cleo"]]
    assert first_letter_agreement(uses_z) == (1.0, 0.5)
    assert first_letter_agreement(ignores_z) == (pytest.approx(1 / 3), 1.0)


def test_ten_classes_get_ten_distinct_colours_none_near_white():
    """Streamlit's theme coloured the latent map's classes in pairs (2/3, 4/5 and 6/7 alike) and class 9 near-white:
    each class now has its own colour of a colour-blind-safe palette, dark enough to see on a white page."""
    from plotly.colors import hex_to_rgb

    labels = np.repeat(np.arange(10), 3)
    fig = figures.projection_scatter(np.random.RandomState(0).randn(30, 2), labels, np.arange(30))
    colours = [t.marker.color for t in fig.data]
    assert len(set(colours)) == 10
    for c in colours:
        r, g, b = (v / 255 for v in hex_to_rgb(c))
        assert 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.8, c  # relative luminance (sRGB weights, not linearised)
    lab = [_cielab(hex_to_rgb(c)) for c in colours]
    for i in range(10):  # no two alike: CIE76 colour difference above 20 (2.3 is "just noticeable")
        for j in range(i):
            assert np.linalg.norm(lab[i] - lab[j]) > 20, (colours[i], colours[j])


def _cielab(rgb) -> np.ndarray:
    """sRGB (0-255) to CIE L*a*b* under D65."""
    c = np.asarray(rgb, float) / 255
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ c
    f = lambda t: np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)  # noqa: E731
    fx, fy, fz = f(xyz / np.array([0.9505, 1.0, 1.089]))
    return np.array([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)])


def test_heat_maps_share_their_scale_so_models_can_be_compared():
    """A collapsed model's 0.005 nats filled the KL heat map's colour scale (bright yellow), and each MI map had a
    scale of its own, so a VAE's and a beta-TCVAE's could not be compared side by side."""
    collapsed = figures.kl_heatmap(np.full((3, 4), 0.005))
    assert collapsed.data[0].zmin == 0 and collapsed.data[0].zmax == figures.KL_SCALE_FLOOR
    assert figures.kl_heatmap(np.array([[0.1, 7.5]])).data[0].zmax == 7.5
    a = figures.mi_heatmap([[0.1, 0.0], [0.02, 0.3]], ["shape", "x"], zmax=3.0).data[0]
    b = figures.mi_heatmap([[1.9, 0.0], [0.0, 2.2]], ["shape", "x"], zmax=3.0).data[0]
    assert (a.zmin, a.zmax) == (b.zmin, b.zmax) == (0, 3.0)
