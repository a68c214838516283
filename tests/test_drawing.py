"""Your own input: a drawing or picture made into the model's input, encoded, and placed on the map."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.app_helpers import arr, chart, open_app
from tests.conftest import mosaic_cells
from ui.drawing import read_picture
from vae.analysis.explore import encode_input
from vae.analysis.projections import place_among
from vae.data.transforms import fit_drawing, picture_to_ink
from vae.errors import DataError
from vae.models.checkpoints import load_checkpoint


def stroke(kind: str, side: int = 56) -> np.ndarray:
    """White ink on black: a vertical bar ("1") or a ring ("0"), off centre."""
    a = np.zeros((side, side), np.float32)
    if kind == "bar":
        a[5:40, 8:13] = 1.0
    else:
        yy, xx = np.mgrid[:side, :side]
        r = np.hypot(yy - 20, xx - 30)
        a[(r > 9) & (r < 14)] = 1.0
    return a


def paper(ink: np.ndarray) -> bytes:
    """The ink as a PNG photo of dark ink on white paper."""
    buf = io.BytesIO()
    Image.fromarray(((1 - ink) * 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_a_drawing_is_scaled_into_a_box_and_centred_by_its_mass_like_mnist():
    out = fit_drawing(stroke("ring"), (1, 28, 28))
    assert out.shape == (1, 28, 28) and out.max() <= 1.0
    ys, xs = np.nonzero(out[0] > 0.1)
    assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 in (19, 20, 21)  # the 20 x 20 box
    cy, cx = np.array([(out[0].sum(1) * np.arange(28)).sum(), (out[0].sum(0) * np.arange(28)).sum()]) / out.sum()
    assert abs(cy - 13.5) < 1.0 and abs(cx - 13.5) < 1.0  # centred by mass
    assert fit_drawing(stroke("bar"), (3, 8, 8)).shape == (3, 8, 8)  # grey ink on every channel
    with pytest.raises(DataError, match="the drawing is empty"):
        fit_drawing(np.zeros((56, 56)), (1, 28, 28))


def test_a_picture_on_paper_is_inverted_and_a_bad_file_is_refused():
    ink = stroke("bar")
    assert np.allclose(read_picture(paper(ink)), ink, atol=1 / 255)  # dark on light becomes light on dark
    assert np.allclose(picture_to_ink(Image.fromarray((ink * 255).astype(np.uint8))), ink, atol=1 / 255)
    with pytest.raises(DataError, match="not a picture"):
        read_picture(b"this is not a picture")
    with pytest.raises(DataError, match="at most 5 MB"):
        read_picture(b"0" * (6 << 20))


def test_a_new_code_lands_among_its_neighbours_and_on_its_twin():
    codes = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    coords = np.array([[1.0, 1.0], [5.0, 1.0], [1.0, 5.0]])
    xy, near = place_among(codes, coords, np.array([[10.0, 0.0], [0.1, 0.0]]), k=2)
    assert np.allclose(xy[0], [5.0, 1.0]) and near[0, 0] == 1  # an exact twin takes its place
    assert near[1, 0] == 0 and np.linalg.norm(xy[1] - coords[0]) < 0.2  # close to its nearest


def test_the_latent_map_encodes_an_upload_and_stars_it_on_the_map(app_dir):
    ck = load_checkpoint(app_dir / "digits-z2.safetensors")
    at = open_app("latent_map", model="digits-z2")
    seen = {}
    for kind in ("bar", "ring"):
        at.file_uploader(key="map_own_upload").upload(f"{kind}.png", paper(stroke(kind)), "image/png").run()
        assert not at.exception, [e.message for e in at.exception]
        spec = chart(at, "own_images")
        shown, rec = (c.astype(float) / 255 for c in mosaic_cells(spec))
        expected = fit_drawing(stroke(kind), (1, 8, 8))
        mu, sd, recon = encode_input(ck.model, expected)
        assert np.allclose(shown, expected[0], atol=1 / 255 + 1e-6)  # the input the model saw
        assert np.allclose(rec, recon[0], atol=1 / 255 + 1e-6)
        post = chart(at, "own_posterior")
        assert np.allclose(arr(post["data"][0]["y"]), mu, atol=1e-5)
        star = next(t for t in chart(at, "map")["data"] if t.get("name") == "your input")
        seen[kind] = (mu, recon[0], expected[0], (float(arr(star["x"])[0]), float(arr(star["y"])[0])))

    # the encoding follows the drawing: each reconstruction looks more like its own input than like the other
    def corr(u, v):
        return np.corrcoef(u.ravel(), v.ravel())[0, 1]

    for a, b in (("bar", "ring"), ("ring", "bar")):
        assert corr(seen[a][1], seen[a][2]) > corr(seen[a][1], seen[b][2])
    assert not np.allclose(seen["bar"][0], seen["ring"][0]) and seen["bar"][3] != seen["ring"][3]


def test_the_encoder_page_takes_your_drawing(app_dir):
    ck = load_checkpoint(app_dir / "digits-z2.safetensors")
    at = open_app("encoder", model="digits-z2")
    at.radio(key="enc_source").set_value("your own drawing").run()
    assert any("Draw a digit" in i.value for i in at.info)
    at.file_uploader(key="enc_own_upload").upload("ring.png", paper(stroke("ring")), "image/png").run()
    assert not at.exception, [e.message for e in at.exception]
    mu, _, _ = encode_input(ck.model, fit_drawing(stroke("ring"), (1, 8, 8)))
    ring = next(t for t in chart(at, "true_posterior")["data"] if t.get("name") == "amortized q(z|x), 1 sd")
    assert np.mean(arr(ring["x"])) == pytest.approx(mu[0], abs=0.05)


def test_an_upload_that_is_not_a_picture_gets_a_message(app_dir):
    at = open_app("latent_map", model="digits-z2")
    at.file_uploader(key="map_own_upload").upload("notes.png", b"not a png", "image/png").run()
    assert not at.exception and any("not a picture" in w.value for w in at.warning)
