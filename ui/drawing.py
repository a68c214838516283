"""Draw your own input: a canvas in the browser (a small Streamlit Components v2 element), or a picture
uploaded, made into the current model's input the way MNIST was made (vae.data.transforms.fit_drawing).

The canvas is white ink on black, like MNIST. When a stroke ends, the browser sends the drawing,
averaged down to SKETCH_SIDE x SKETCH_SIDE grey levels, as the component's state; Python never
receives anything but those numbers.
"""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image

from ui.i18n import error_text, tr
from vae.data.transforms import fit_drawing, picture_to_ink
from vae.errors import DataError, VAEError
from vae.i18n import N_

SKETCH_SIDE = 56  # grey levels sent per side: twice MNIST's resolution
CANVAS_SIDE = 280  # pixels on screen
MAX_PICTURE_BYTES = 5 << 20
MAX_PICTURE_PIXELS = 4096 * 4096

_HTML = f"""
<div class="sketch">
  <canvas width="{CANVAS_SIDE}" height="{CANVAS_SIDE}" aria-label="drawing canvas"></canvas>
  <button type="button">Clear</button>
</div>
"""
_CSS = f"""
.sketch {{ display: flex; flex-direction: column; gap: 0.4rem; width: {CANVAS_SIDE}px; }}
canvas {{ width: {CANVAS_SIDE}px; height: {CANVAS_SIDE}px; border-radius: 0.5rem; cursor: crosshair;
          touch-action: none; background: black; }}
button {{ align-self: flex-start; font: inherit; padding: 0.2rem 0.8rem; border-radius: 0.5rem;
          border: 1px solid var(--st-border-color, #ccc); background: transparent; color: inherit; cursor: pointer; }}
"""
_JS = f"""
export default function (component) {{
  const {{ parentElement, data, setStateValue }} = component;
  const canvas = parentElement.querySelector("canvas");
  const clear = parentElement.querySelector("button");
  if (data && data.clear) clear.textContent = data.clear;  // the button's label in the reader's language
  if (canvas.dataset.ready) return;  // a rerun keeps the drawing
  canvas.dataset.ready = "1";
  const ctx = canvas.getContext("2d");
  const wipe = () => {{ ctx.fillStyle = "black"; ctx.fillRect(0, 0, canvas.width, canvas.height); }};
  wipe();
  ctx.strokeStyle = "white";
  ctx.lineWidth = {CANVAS_SIDE} / 12;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  const at = (e) => {{
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  }};
  const n = {SKETCH_SIDE};
  const send = () => {{
    const small = document.createElement("canvas");
    small.width = n;
    small.height = n;
    const s = small.getContext("2d");
    s.imageSmoothingQuality = "high";
    s.drawImage(canvas, 0, 0, n, n);
    const px = s.getImageData(0, 0, n, n).data;
    const grey = new Array(n * n);
    for (let i = 0; i < n * n; i++) grey[i] = Math.round(px[4 * i] / 2.55) / 100;
    setStateValue("image", grey);
  }};
  let drawing = false;
  canvas.addEventListener("pointerdown", (e) => {{
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    const [x, y] = at(e);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 0.01, y);
    ctx.stroke();
  }});
  canvas.addEventListener("pointermove", (e) => {{
    if (!drawing) return;
    const [x, y] = at(e);
    ctx.lineTo(x, y);
    ctx.stroke();
  }});
  const end = () => {{ if (drawing) {{ drawing = false; send(); }} }};
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  clear.addEventListener("click", () => {{ wipe(); setStateValue("image", null); }});
}}
"""
_SKETCH = st.components.v2.component("sketch", html=_HTML, css=_CSS, js=_JS)


def sketch(key: str) -> np.ndarray | None:
    """The canvas; its drawing as ink in [0, 1], (SKETCH_SIDE, SKETCH_SIDE), or None before the first stroke."""
    image = _SKETCH(key=key, data={"clear": tr("Clear")}, on_image_change=lambda: None, width="content").image
    return ink_of(image)


def ink_of(image) -> np.ndarray | None:
    """The canvas state as ink (SKETCH_SIDE, SKETCH_SIDE) in [0, 1]; None for anything but SKETCH_SIDE^2 finite
    numbers (the state comes from the browser: a crafted one may hold strings, NaN or nested lists)."""
    if not isinstance(image, list) or len(image) != SKETCH_SIDE**2:
        return None
    try:
        ink = np.asarray(image, dtype=np.float32)
    except (TypeError, ValueError, OverflowError):
        return None
    if ink.shape != (SKETCH_SIDE**2,) or not np.isfinite(ink).all():
        return None
    return np.clip(ink, 0.0, 1.0).reshape(SKETCH_SIDE, SKETCH_SIDE)


def read_picture(data: bytes) -> np.ndarray:
    """An uploaded PNG/JPEG/BMP/GIF as ink in [0, 1] (H, W); sizes checked before decoding."""
    if len(data) > MAX_PICTURE_BYTES:
        raise DataError(
            N_("the picture is {mb} MB; at most {limit} MB"), mb=len(data) >> 20, limit=MAX_PICTURE_BYTES >> 20
        )
    try:
        im = Image.open(io.BytesIO(data))
        if im.width * im.height > MAX_PICTURE_PIXELS:
            raise DataError(N_("the picture is {w} x {h} pixels; at most 4096 x 4096"), w=im.width, h=im.height)
        im.load()
    except DataError:
        raise
    except Exception as e:  # noqa: BLE001 - PIL raises many kinds for a file that is not a picture
        raise DataError(
            N_("not a picture this app can read ({kind}): upload a PNG or JPEG"), kind=type(e).__name__
        ) from None
    return picture_to_ink(im)


def own_input(ck, key: str) -> np.ndarray | None:
    """Draw or upload an input for model ``ck`` (type one, for a model of text); the model-ready array (an
    image's (C, H, W), a sequence's (L,) ids), or None (with the reason shown when there is one)."""
    if ck.modality.textual:
        return typed_input(ck.modality, key)
    if not ck.modality.drawable:
        st.caption(tr("Your own input can be drawn for images and typed for text; pick a test example instead."))
        return None
    draw, upload = st.tabs([tr("Draw"), tr("Upload a picture")])
    with draw:
        st.caption(tr("Draw with the mouse (or a finger): white ink on black, like MNIST. Each stroke updates."))
        ink = sketch(f"{key}_sketch")
    with upload:
        up = st.file_uploader(
            tr("a small picture (PNG or JPEG): dark ink on light paper is inverted"),
            type=["png", "jpg", "jpeg", "bmp", "gif"],
            key=f"{key}_upload",
        )
    try:
        if up is not None:
            ink = read_picture(up.getvalue())
        return None if ink is None else fit_drawing(ink, ck.x_shape)
    except DataError as e:
        st.warning(error_text(e))
        return None


def typed_input(modality, key: str) -> np.ndarray | None:
    """A text typed for a model of token sequences, as its ids (L,); None while empty or when it does not fit.
    Characters outside the model's vocabulary are read as <unk> (shown as '?'), and the page says which."""
    text = st.text_input(
        tr("your text (at most {n} characters)", n=modality.length - 1), "", key=f"{key}_text", max_chars=200
    )
    if not text:
        return None
    unknown = sorted({c for c in text if c not in modality.index})
    try:
        ids = modality.encode([text])[0].numpy()
    except VAEError as e:
        st.warning(error_text(e))
        return None
    if unknown:
        st.caption(
            tr(
                "Not in this model's vocabulary, read as <unk> (shown as ?): {chars}",
                chars=" ".join(repr(c) for c in unknown),
            )
        )
    return ids


def own_input_on_map(ck, fig, proj, split: str, x) -> None:
    """The Latent map's "your own input": draw (or type) one, see it and its reconstruction, its posterior, the
    mapped examples nearest to it, and a star at its place on the map ``fig`` (a projection ``proj`` of
    ``split``'s examples ``x``)."""
    from ui import compute, defaults
    from vae.analysis.projections import place_among
    from vae.figures.examples import examples_figure
    from vae.figures.plots import add_own_point, posterior_figure

    with st.expander(
        tr("Draw your own input and see where it lands")
        if not ck.modality.textual
        else tr("Type your own input and see where it lands"),
        icon=":material/draw:",
    ):
        c_draw, c_images, c_post = st.columns([3, 2, 4])
        with c_draw:
            own = own_input(ck, "map_own")
        if own is not None:
            own_mu, own_sd, own_rec = compute.own_encoding(ck, own)
            codes = compute.posterior_means(ck, split)[0][proj.index]
            xy, near = place_among(codes, proj.coords, own_mu[None], k=defaults.PLACE_NEIGHBOURS)
            add_own_point(fig, xy[0], tr=tr)
            nearest = proj.index[near[0]]
            c_images.plotly_chart(
                examples_figure(
                    ck.modality,
                    np.stack([own, own_rec]),
                    ncols=1,
                    titles=[tr("your input"), tr("reconstruction")],
                    width_px=260,
                ),
                key="own_images",
            )
            c_post.plotly_chart(
                posterior_figure(own_mu, own_sd, ck.metrics.get("kl_per_dim"), tr=tr), key="own_posterior"
            )
            st.plotly_chart(
                examples_figure(
                    ck.modality,
                    x[nearest[:8]].cpu().numpy(),
                    ncols=8,
                    titles=[f"#{i}" for i in nearest[:8]],
                    width_px=700,
                ),
                key="own_nearest",
            )
            st.caption(
                tr(
                    "The star on the map: your input's posterior mean, placed among the "
                    "{k} mapped test codes nearest to it (above, the closest first; weighted by "
                    "inverse distance).",
                    k=defaults.PLACE_NEIGHBOURS,
                )
            )
