"""Plotly figure builders: pure functions from numbers to ``go.Figure``, no Streamlit.

Images travel as PNG (``binary_string=True``) with fixed ranges 0..255, so a pixel in
the figure is exactly ``round(255 * value)``. Traversal and interpolation figures
carry one animation frame per step and a slider built into the figure (no play
button): dragging it swaps images in the browser with no round trip to a server.
Keep a figure to about ``MAX_IMAGES`` images.

Every builder that writes words takes ``tr``, the reader's translation function
(``vae.i18n``; English by default, as the command line uses them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

from vae.data.modality import Image
from vae.figures.slider import dimension_labels, frame_slider
from vae.i18n import N_, Translate, english

MAX_IMAGES = 1000
# Classes: CARTO's colour-blind-safe qualitative palette (Paul Tol's muted colours), ten distinct hues and none near
# white. Streamlit's theme would colour traces in pairs (blue, light blue, red, light red...), so that classes 2/3,
# 4/5 and 6/7 looked alike and class 9 was drawn near-white.
CLASS_COLOURS = tuple(
    "#{:02x}{:02x}{:02x}".format(*map(int, px.colors.unlabel_rgb(c))) for c in px.colors.qualitative.Safe[:10]
)
HALF_PAGE_PX = 320  # a figure in half of a 1024-pixel-wide page beside the sidebar
PAGE_PX = 600  # about how wide the main column of a 1024-pixel-wide page beside the sidebar is
GRID_MAX_OFFSETS = 7  # a traversal grid's columns: on PAGE_PX, cells of about 65 px, readable from a room's back
KL_SCALE_FLOOR = 1.0  # nats: a heat map of KL runs from 0 to at least this, so a collapsed unit's 0.005 stays dark
SVG_MAX_POINTS = 5000  # larger scatter plots use WebGL
PRIOR_MAP_NATS = 10.0  # a prior's map shades log p(z) from its highest to this many nats below


to_uint8 = Image.show  # (..., C, H, W) in [0, 1] -> (..., H, W) grey or (..., H, W, 3) RGB uint8


TITLE_CHAR_PX = 9.0  # about how wide a character of a figure's title is (17 px font; a CJK character counts twice)


def wrapped(title: str | None, width_px: float) -> str | None:
    """``title`` broken into lines (``<br>``) at spaces, each about as wide as a figure of ``width_px`` pixels: a
    title wider than its figure is cut off on a 1024-pixel projector."""
    if not title:
        return title
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    most = max(12, int(width_px / TITLE_CHAR_PX))
    lines: list[str] = []
    for word in title.split(" "):
        if lines and width(lines[-1]) + 1 + width(word) <= most:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _imshow(arr: np.ndarray, title: str | None = None, width_px: float = 900.0, **kw) -> go.Figure:
    title = wrapped(title, width_px)
    fig = px.imshow(arr, binary_string=True, zmin=0, zmax=255, title=title, **kw)
    bare = dict(showticklabels=False, ticks="", showgrid=False)
    fig.update_xaxes(**bare).update_yaxes(**bare)
    fig.update_layout(margin=dict(l=10, r=10, t=22 + 20 * (title or "").count("<br>") + 18, b=10))
    return fig


def mosaic(images: np.ndarray, ncols: int, band: int = 0, pad: int = 2) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Images (N, C, H, W) in [0, 1] tiled into one white picture (C, H', W'), row by row.

    Each image sits under a white band of ``band`` pixels (room for its title) with
    ``pad`` pixels between images. Returns the picture and each image's top-left
    corner (x, y) in it. One picture draws much faster in the browser than one
    Plotly subplot per image (every subplot brings its own axes).
    """
    images = np.asarray(images, dtype=np.float32)
    n, c, h, w = images.shape
    ncols = max(1, min(ncols, n))
    rows = -(-n // ncols)
    cell_h, cell_w = h + band + pad, w + pad
    picture = np.ones((c, rows * cell_h + pad, ncols * cell_w + pad), np.float32)
    corners = []
    for k, image in enumerate(images):
        r, col = divmod(k, ncols)
        x, y = pad + col * cell_w, pad + r * cell_h + band
        picture[:, y : y + h, x : x + w] = image
        corners.append((x, y))
    return picture, corners


def _mosaic_figure(
    pictures: np.ndarray, ncols: int, titles: Sequence[str] | None, title: str | None, width_px: float = 900.0
) -> tuple[go.Figure, list[np.ndarray]]:
    """The figure for ``pictures`` (frames, N, C, H, W): frame 0's mosaic as its one image trace, a title above
    each image, and the cell geometry in ``layout.meta`` (``corners``, ``size``). Returns it and every frame's
    mosaic."""
    h, w = pictures.shape[-2:]
    band = max(6, h // 3) if titles is not None and any(titles) else 0
    tiled = [mosaic(frame, ncols, band) for frame in pictures]
    mosaics, corners = [m for m, _ in tiled], tiled[0][1]  # the corners are the same in every frame
    fig = _imshow(to_uint8(mosaics[0][None])[0], title=title, width_px=width_px)
    fig.update_traces(hoverinfo="skip", hovertemplate=None)
    height_img, width_img = mosaics[0].shape[1:]
    scale = min(4.0, width_px / width_img)  # screen pixels per image pixel when the page is width_px wide
    fig.update_layout(
        meta={"corners": corners, "size": [h, w]},
        height=int(min(1400, height_img * scale + 70)),
        annotations=[
            dict(
                x=x + (w - 1) / 2,
                y=y - band / 2 - 0.5,
                text=text,
                showarrow=False,
                xref="x",
                yref="y",
                font=dict(size=13),
            )
            for (x, y), text in zip(corners, titles or [])
            if text
        ],
    )
    return fig, mosaics


def _animated(
    pictures: np.ndarray, ncols: int, titles: Sequence[str], prefix: str, labels: Sequence[str], title: str
) -> go.Figure:
    """Panels that change together with an in-figure slider: ``pictures`` is (steps, panels, C, H, W).

    The figure holds one image trace, frame 0's mosaic of the panels; frame ``s``
    replaces exactly that trace with step ``s``'s mosaic (so no panel can go stale).
    No play button: dragging the slider swaps images in the browser, with no server.
    """
    from plotly.utils import image_array_to_data_uri

    fig, mosaics = _mosaic_figure(pictures, ncols, titles, title)
    fig.frames = [
        go.Frame(name=str(s), traces=[0], data=[go.Image(source=image_array_to_data_uri(to_uint8(m[None])[0]))])
        for s, m in enumerate(mosaics)
    ]
    fig.layout.sliders = [frame_slider(prefix, labels[: len(mosaics)])]
    fig.update_layout(height=fig.layout.height + 70)
    return fig


# ------------------------------------------------------------------ images
def image_grid(
    images: np.ndarray,
    ncols: int = 10,
    titles: Sequence[str] | None = None,
    title: str | None = None,
    width_px: float = 900.0,
) -> go.Figure:
    """Images (N, C, H, W) as one mosaic, row by row, titled when ``titles`` are given.

    ``width_px`` is about how wide the figure will be on the page (a column: less); the
    height follows from it. ``layout.meta`` holds each image's top-left corner in the
    mosaic and the image size.
    """
    images = np.asarray(images)[:MAX_IMAGES]
    fig, _ = _mosaic_figure(images[None], ncols, titles, title, width_px)
    return fig


def traversal_figure(trav, labels: Sequence[str] | None = None, ncols: int = 8, tr: Translate = english) -> go.Figure:
    """One panel per latent dimension, one frame per step of the traversal."""
    n_dims, steps = trav.images.shape[:2]
    if n_dims * steps > MAX_IMAGES:
        raise ValueError(f"{n_dims} x {steps} images exceed {MAX_IMAGES}; show fewer dimensions or steps")
    return _animated(
        np.swapaxes(np.asarray(trav.images), 0, 1),
        ncols,
        dimension_labels(trav) if labels is None else labels,
        tr("offset (prior sd): "),
        [f"{v:+.2f}" for v in trav.values],
        tr("Latent traversal: drag the slider"),
    )


def traversal_grid(
    trav, labels: Sequence[str] | None = None, tr: Translate = english, width_px: float = PAGE_PX
) -> go.Figure:
    """The classic traversal grid: one row per latent dimension (labelled, KL first), one column per offset
    (labelled in prior sd). Give it a traversal of at most :data:`GRID_MAX_OFFSETS` steps, so that a cell stays
    about ``width_px / GRID_MAX_OFFSETS`` pixels wide."""
    n_dims, steps = trav.images.shape[:2]
    h, w = trav.images.shape[-2:]
    picture, corners = mosaic(np.asarray(trav.images).reshape(n_dims * steps, *trav.images.shape[2:]), steps)
    title = tr("Every dimension at {n} offsets (prior sd)").format(n=steps)
    fig = _imshow(to_uint8(picture[None])[0], title=title, width_px=width_px)
    fig.update_traces(hoverinfo="skip", hovertemplate=None)
    names = dimension_labels(trav) if labels is None else list(labels)
    font = dict(size=14)
    fig.update_xaxes(
        side="top",
        showticklabels=True,
        tickvals=[x + (w - 1) / 2 for x, _ in corners[:steps]],
        ticktext=[f"{v:+.1f}" for v in trav.values],
        tickfont=font,
    )
    fig.update_yaxes(
        showticklabels=True, tickvals=[y + (h - 1) / 2 for _, y in corners[::steps]], ticktext=names, tickfont=font
    )
    cell = (width_px - 120) / steps  # screen pixels per image, the labels' margin aside
    top = 70 + 20 * (fig.layout.title.text or "").count("<br>")
    fig.update_layout(
        height=int(n_dims * cell * (h + 2) / (w + 2) + top + 20),
        margin=dict(l=110, r=10, t=top, b=10),
        meta={"corners": corners, "size": [h, w]},
    )
    return fig


def interpolation_figure(interp, start_label: str = "A", end_label: str = "B", tr: Translate = english) -> go.Figure:
    """Start, current and end image; one frame per interpolation step."""
    steps = len(interp.t)
    imgs = np.stack(
        [np.repeat(interp.images[:1], steps, 0), interp.images, np.repeat(interp.images[-1:], steps, 0)], 1
    )  # (steps, 3, C, H, W)
    return _animated(
        imgs,
        3,
        [start_label, "z(t)", end_label],
        "t = ",
        [f"{t:.2f}" for t in interp.t],
        tr("Interpolation between posterior means along a {path}: drag the slider").format(path=tr(interp.path)),
    )


def manifold_figure(
    grid: np.ndarray,
    images: np.ndarray,
    points: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    tr: Translate = english,
) -> go.Figure:
    """The n x n decoded grid of a 2-D latent as one image, axes in z units.

    ``points`` (N, 2) are posterior means drawn over the grid: z maps to the picture
    through the prior's CDF, as the grid itself does, so a point sits on the tile
    decoded from (nearly) its own z. ``labels`` colour them; points beyond the grid's outer tiles are left out
    (they would pile up on its edges). The picture is about :data:`PAGE_PX` wide and as tall, every other tick
    labelled past 10 tiles, the legend under it.
    """
    from scipy.stats import norm

    n = images.shape[0]
    c, h, w = images.shape[2:]
    big = images.transpose(2, 0, 3, 1, 4).reshape(c, n * h, n * w)
    fig = _imshow(to_uint8(big[None])[0], title=tr("Decoded manifold over the prior's quantiles"), width_px=PAGE_PX)
    every = 1 if n <= 10 else 2
    font = dict(size=14)
    fig.update_xaxes(
        showticklabels=True,
        tickvals=[w * j + w / 2 for j in range(0, n, every)],
        ticktext=[f"{g:.1f}" for g in grid[::every]],
        tickfont=font,
        title=dict(text="z1", font=font),
    )
    fig.update_yaxes(
        showticklabels=True,
        tickvals=[h * i + h / 2 for i in range(0, n, every)],
        ticktext=[f"{g:.1f}" for g in grid[::-1][::every]],
        tickfont=font,
        title=dict(text="z2", font=font),
    )
    fig.update_layout(
        height=PAGE_PX + 130,
        margin=dict(l=60, r=10, t=50, b=40),
        legend=dict(orientation="h", y=-0.08, yanchor="top", x=0, font=font),
    )
    if points is not None:
        pts = np.asarray(points, dtype=float)
        lo, hi = norm.cdf(grid[0]), norm.cdf(grid[-1])  # the grid is evenly spaced in prior CDF
        u = (norm.cdf(pts) - lo) / (hi - lo) * (n - 1)  # fractional tile index per axis
        inside = ((u >= -0.5) & (u <= n - 0.5)).all(1)
        pts, u = pts[inside], u[inside]
        px_x, px_y = w * u[:, 0] + w / 2, h * (n - 1 - u[:, 1]) + h / 2
        lab = np.zeros(len(inside), int) if labels is None else np.asarray(labels)
        lab = lab[inside]
        for k in np.unique(lab):
            m = lab == k
            fig.add_scatter(
                x=px_x[m],
                y=px_y[m],
                mode="markers",
                name=str(k),
                marker=dict(size=5, opacity=0.7, color=CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]),
                customdata=pts[m],
                hovertemplate="z = (%{customdata[0]:.2f}, %{customdata[1]:.2f})<extra></extra>",
            )
    return fig


# ----------------------------------------------------------------- training
SETTLED_EPOCHS = 20  # training curves this long are scaled to their last nine tenths


def training_curves(history: list[dict[str, Any]], tr: Translate = english) -> go.Figure:
    """Negative ELBO, reconstruction and KL per epoch, train (solid) and test (dashed); with early stopping, the
    -ELBO of the examples held out of the training split (dotted). From SETTLED_EPOCHS epochs on, each axis spans
    the curves after their first tenth (the first epochs stay drawn, above the top)."""
    ep = [h["epoch"] for h in history]
    fig = go.Figure()
    for key, name, color in (
        ("elbo", "-ELBO", "#1f77b4"),
        ("reconstruction", tr("reconstruction"), "#2ca02c"),
        ("kl", "KL", "#d62728"),
    ):
        fig.add_scatter(
            x=ep,
            y=[h[f"train_{key}"] for h in history],
            name=tr("train {name}").format(name=name),
            line=dict(color=color),
            yaxis="y2" if key == "kl" else "y",
        )
        fig.add_scatter(
            x=ep,
            y=[h[f"test_{key}"] for h in history],
            name=tr("test {name}").format(name=name),
            line=dict(color=color, dash="dash"),
            yaxis="y2" if key == "kl" else "y",
        )
    if any("valid_elbo" in h for h in history):  # early stopping's held-out examples
        fig.add_scatter(
            x=[h["epoch"] for h in history if "valid_elbo" in h],
            y=[h["valid_elbo"] for h in history if "valid_elbo" in h],
            name=tr("held-out -ELBO"),
            line=dict(color="#1f77b4", dash="dot"),
        )
    fig.update_layout(
        xaxis_title=tr("epoch"),
        yaxis_title=tr("nats per example"),
        yaxis2=dict(title=tr("KL (nats)"), overlaying="y", side="right"),
        title=tr("Training curves"),
        legend=dict(orientation="h", y=-0.2),
    )
    if len(history) >= SETTLED_EPOCHS:  # the untrained first epochs would flatten a rise of a few nats to a line
        for axis in ("y", "y2"):
            late = [v for t in fig.data if (t.yaxis or "y") == axis for v in t.y[len(t.y) // 10 :] if v == v]
            if late:
                lo, hi = min(late), max(late)
                pad = 0.08 * (hi - lo) or 1.0
                fig.update_layout({"yaxis" if axis == "y" else "yaxis2": dict(range=[lo - pad, hi + pad])})
    return fig


def kl_bars(
    kl_per_dim: Sequence[float], sort: bool = True, threshold: float | None = None, tr: Translate = english
) -> go.Figure:
    """KL(q(z_j|x) || p(z_j)) per dimension, most informative first."""
    kl = np.asarray(kl_per_dim, dtype=float)
    order = np.argsort(-kl, kind="stable") if sort else np.arange(len(kl))
    fig = go.Figure(
        go.Bar(
            x=[f"z{j}" for j in order],
            y=kl[order],
            customdata=order,
            hovertemplate="z%{customdata}: %{y:.3f} " + tr("nats") + "<extra></extra>",
        )
    )
    if threshold is not None:
        fig.add_hline(y=threshold, line_dash="dot", annotation_text=f"{threshold:g} " + tr("nats"))
    fig.update_layout(title=tr("KL per latent dimension"), xaxis_title=tr("dimension"), yaxis_title=tr("KL (nats)"))
    return fig


def kl_heatmap(kl_history: np.ndarray, epochs: Sequence[float] | None = None, tr: Translate = english) -> go.Figure:
    """KL per dimension (columns) across epochs (rows): when each unit woke or died. The colours run from 0 to the
    largest KL, or KL_SCALE_FLOOR nats if less: a collapsed model's units stay dark instead of filling the scale."""
    kl_history = np.asarray(kl_history, dtype=float)
    ep = list(epochs) if epochs is not None else list(range(1, len(kl_history) + 1))
    top = float(np.nanmax(kl_history)) if np.isfinite(kl_history).any() else 0.0
    fig = go.Figure(
        go.Heatmap(
            z=kl_history,
            x=[f"z{j}" for j in range(kl_history.shape[1])],
            y=ep,
            zmin=0.0,
            zmax=max(top, KL_SCALE_FLOOR),
            colorscale="Viridis",
            colorbar=dict(title=tr("KL (nats)")),
            hovertemplate=tr("%{x}, epoch %{y}: %{z:.3f} nats") + "<extra></extra>",
        )
    )
    fig.update_layout(
        title=tr("KL per dimension across training"), xaxis_title=tr("dimension"), yaxis_title=tr("epoch")
    )
    return fig


def active_units_figure(au_variance: Sequence[float], threshold: float = 0.01, tr: Translate = english) -> go.Figure:
    """Var_x(E_q[z_u]) per dimension on a log axis, with the activity threshold."""
    v = np.maximum(np.asarray(au_variance, dtype=float), 1e-8)
    colors = ["#2ca02c" if x > threshold else "#bbbbbb" for x in v]
    fig = go.Figure(go.Bar(x=[f"z{j}" for j in range(len(v))], y=v, marker_color=colors))
    fig.add_hline(
        y=threshold,
        line_dash="dash",
        line_color="red",
        annotation_text=tr("active if > {threshold:g}").format(threshold=threshold),
    )
    fig.update_yaxes(type="log", title=tr("Var over x of E_q[z_u]"))
    fig.update_layout(
        title=tr("Active units: {active} of {total}").format(active=(v > threshold).sum(), total=len(v)),
        xaxis_title=tr("dimension"),
    )
    return fig


def rate_distortion(points: Sequence[dict[str, Any]], tr: Translate = english) -> go.Figure:
    """Runs on the rate-distortion plane (Alemi et al. 2018); lines of equal ELBO dotted.

    Each point: ``name``, ``rate``, ``distortion`` and optionally ``beta`` and ``mine`` (the reader's own run:
    a star, named with a ★).
    """
    r = np.array([p["rate"] for p in points], dtype=float)
    d = np.array([p["distortion"] for p in points], dtype=float)
    mine = [bool(p.get("mine")) for p in points]
    names = [("★ " if m else "") + p["name"] for p, m in zip(points, mine)]
    betas = [p.get("beta", float("nan")) for p in points]
    fig = go.Figure(
        go.Scatter(
            x=r,
            y=d,
            mode="markers+text",
            text=names,
            textposition="top center",
            customdata=np.stack([[p["name"] for p in points], betas], 1) if points else None,  # what a click names
            marker=dict(
                size=[18 if m else 11 for m in mine],
                symbol=["star" if m else "circle" for m in mine],
                color=np.log10(np.maximum(betas, 1e-3)) if points else None,
                colorscale="Plasma",
                showscale=bool(points),
                colorbar=dict(title="log10 beta"),
            ),
            hovertemplate="%{customdata[0]}<br>beta %{customdata[1]}<br>"
            + tr("rate %{x:.2f}<br>distortion %{y:.2f}")
            + "<extra></extra>",
        )
    )
    if len(points):
        lo, hi = 0.0, max(r.max() * 1.1, 1.0)
        for elbo in np.unique(np.round(r + d, 0))[:6]:
            fig.add_scatter(
                x=[lo, hi],
                y=[elbo - lo, elbo - hi],
                mode="lines",
                showlegend=False,
                line=dict(dash="dot", color="#cccccc"),
                hoverinfo="skip",
            )
    fig.update_layout(
        title=tr("Rate vs distortion"),
        xaxis_title=tr("rate R = E KL(q(z|x)||p(z)) (nats)"),
        yaxis_title=tr("distortion D = E[-log p(x|z)] (nats)"),
        showlegend=False,
    )
    return fig


def sweep_figure(
    points: Sequence[dict[str, Any]], knob: str, log_x: bool = False, tr: Translate = english
) -> go.Figure:
    """Sweeps' runs against the swept value, one colour per model swept (``base``): each finished run's last test
    -ELBO (a line through the circles), each run that blew up a cross at the top of the axes, labelled with the
    step where it did. Each point: ``base``, ``value``, ``elbo`` (None for a run that diverged or is not done) and
    ``diverged_step`` (None unless it diverged)."""
    top = max((p["elbo"] for p in points if p.get("elbo") is not None), default=1.0)
    fig = go.Figure()
    for i, base in enumerate(dict.fromkeys(p["base"] for p in points)):
        colour = CLASS_COLOURS[i % len(CLASS_COLOURS)]
        done = sorted((p for p in points if p["base"] == base and p.get("elbo") is not None), key=lambda p: p["value"])
        failed = [p for p in points if p["base"] == base and p.get("diverged_step") is not None]
        fig.add_scatter(
            x=[p["value"] for p in done],
            y=[p["elbo"] for p in done],
            mode="lines+markers",
            marker=dict(size=14, color=colour),
            line=dict(color=colour),
            name=base,
            legendgroup=base,
            hovertemplate=f"{base}<br>{knob} %{{x:g}}: -ELBO %{{y:.2f}}<extra></extra>",
        )
        fig.add_scatter(
            x=[p["value"] for p in failed],
            y=[top * 1.05] * len(failed),
            mode="markers+text",
            marker=dict(size=16, symbol="x", color=colour),
            text=[tr("diverged at step {step}").format(step=p["diverged_step"]) for p in failed],
            textposition="bottom center",
            name=f"{base}: {tr('diverged')}",
            legendgroup=base,
            showlegend=bool(failed),
            hoverinfo="text",
        )
    fig.update_xaxes(type="log" if log_x else "linear", title=knob)
    fig.update_layout(
        title=tr("The sweep's runs: the last epoch's test -ELBO, or where the run blew up"),
        yaxis_title="-ELBO",
        legend=dict(orientation="h", y=-0.25),
        margin=dict(l=10, r=10, t=60, b=10),
    )
    return fig


def prior_map_figure(
    grid: dict[str, np.ndarray],
    means: np.ndarray,
    labels: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    tr: Translate = english,
) -> go.Figure:
    """A 2-D prior's log-density (``vae.analysis.explore.prior_density``) as a heat map over its top
    PRIOR_MAP_NATS nats, with the posterior means of the data over it, one colour per class: where the prior puts
    mass that no code uses, its samples decode to nothing the data holds."""
    with np.errstate(divide="ignore"):
        log_p = np.log(grid["density"])
    top = float(np.nanmax(log_p)) if np.isfinite(log_p).any() else 0.0
    fig = go.Figure(
        go.Heatmap(
            x=grid["z1"],
            y=grid["z2"],
            z=log_p,
            zmin=top - PRIOR_MAP_NATS,
            zmax=top,
            colorscale="Greys",
            colorbar=dict(title="log p(z)"),
            hovertemplate="z = (%{x:.2f}, %{y:.2f})<br>log p(z) %{z:.2f}<extra></extra>",
        )
    )
    labels = np.zeros(len(means), int) if labels is None else np.asarray(labels)
    for k in np.unique(labels):
        pick = labels == k
        name = class_names[k] if class_names is not None and k < len(class_names) else str(k)
        fig.add_scatter(
            x=means[pick, 0],
            y=means[pick, 1],
            mode="markers",
            marker=dict(size=4, color=CLASS_COLOURS[int(k) % len(CLASS_COLOURS)], opacity=0.8),
            name=name,
            hoverinfo="skip",
        )
    fig.update_layout(
        title=tr("The prior's density, with the posterior means of the test data over it"),
        xaxis=dict(title="z1", range=[grid["z1"][0], grid["z1"][-1]], constrain="domain"),
        yaxis=dict(title="z2", range=[grid["z2"][0], grid["z2"][-1]], scaleanchor="x", constrain="domain"),
        height=PAGE_PX,
        legend=dict(orientation="h", y=-0.15),
    )
    return fig


def projection_scatter(
    coords: np.ndarray,
    labels: np.ndarray,
    index: np.ndarray,
    class_names: Sequence[str] | None = None,
    method: str = "",
    color_title: str = "label",
    hover_text: Sequence[str] | None = None,
    tr: Translate = english,
) -> go.Figure:
    """2-D map of posterior means, one trace per label; ``customdata`` = [index, label]; ``hover_text`` (one
    string per point, such as a name) is shown under the pointer too."""
    fig = go.Figure()
    labels = np.asarray(labels)
    # SVG up to SVG_MAX_POINTS: WebGL costs far more CPU on machines drawing it in software (no GPU)
    scatter = fig.add_scatter if len(coords) <= SVG_MAX_POINTS else fig.add_scattergl
    for i, lab in enumerate(np.unique(labels)):
        m = labels == lab
        name = class_names[int(lab)] if class_names is not None and int(lab) < len(class_names) else str(lab)
        scatter(
            x=coords[m, 0],
            y=coords[m, 1],
            mode="markers",
            name=name,
            marker=dict(size=5, opacity=0.8, color=CLASS_COLOURS[i % len(CLASS_COLOURS)]),
            customdata=np.stack([index[m], labels[m]], 1),
            text=None if hover_text is None else [t for t, keep in zip(hover_text, m) if keep],
            hovertemplate=tr("example")
            + " %{customdata[0]}"
            + ("" if hover_text is None else ": <b>%{text}</b>")
            + "<br>"
            + color_title
            + " "
            + name
            + "<extra></extra>",
        )
    fig.update_layout(
        title=tr("Posterior means, {method}").format(method=method.upper()),
        xaxis_title=f"{method} 1",
        yaxis_title=f"{method} 2",
        legend_title=color_title,
    )
    return fig


def posterior_figure(
    mu: np.ndarray,
    sd: np.ndarray,
    kl_per_dim: Sequence[float] | None = None,
    title: str | None = None,
    tr: Translate = english,
) -> go.Figure:
    """One example's posterior as bars (mean) with error bars (one sd); the prior N(0,1) shaded."""
    mu, sd = np.asarray(mu, float), np.asarray(sd, float)
    dims = [f"z{j}" for j in range(len(mu))]
    hover = tr("%{x}: mean %{y:.3f}, sd %{error_y.array:.3f}")
    if kl_per_dim is not None:
        hover += "<br>" + tr("KL of this dimension (test average) %{customdata:.2f}")
    fig = go.Figure(
        go.Bar(
            x=dims,
            y=mu,
            error_y=dict(type="data", array=sd, visible=True),
            customdata=None if kl_per_dim is None else np.asarray(kl_per_dim, float),
            hovertemplate=hover + "<extra></extra>",
            name="posterior",
        )
    )
    fig.add_hrect(
        y0=-1,
        y1=1,
        fillcolor="#888888",
        opacity=0.12,
        line_width=0,
        annotation_text=tr("prior +-1 sd"),
        annotation_position="top left",
    )
    fig.update_layout(
        title=tr("q(z|x): mean +- sd per dimension") if title is None else title,
        xaxis_title=tr("latent dimension"),
        yaxis_title="z",
        showlegend=False,
        height=320,
    )
    return fig


def mi_heatmap(
    mi: Sequence[Sequence[float]],
    factor_names: Sequence[str],
    title: str | None = None,
    tr: Translate = english,
    zmax: float | None = None,
) -> go.Figure:
    """I(z_j; v_k) in nats as a factor x latent heat map: which latent holds which factor. ``zmax``: the top of the
    colour scale (from 0), the same for every model that is to be compared; None: this map's largest value."""
    m = np.asarray(mi, dtype=float).T  # (factors, latents)
    fig = go.Figure(
        go.Heatmap(
            z=m,
            x=[f"z{j}" for j in range(m.shape[1])],
            y=list(factor_names),
            zmin=0.0,
            zmax=zmax,
            colorscale="Viridis",
            colorbar={"title": tr("nats")},
            hovertemplate="%{y} / %{x}: %{z:.3f} " + tr("nats") + "<extra></extra>",
        )
    )
    fig.update_layout(
        title=wrapped(title or tr("Mutual information I(z_j; factor)"), HALF_PAGE_PX),
        height=120 + 40 * m.shape[0],
        xaxis_title=tr("latent"),
        yaxis_title=tr("factor"),
    )
    return fig


def mig_vs_distortion(points: Sequence[dict], tr: Translate = english) -> go.Figure:
    """Every model with factors: MIG against its test distortion, coloured by objective."""
    fig = go.Figure()
    for objective in sorted({p["objective"] for p in points}):
        ps = [p for p in points if p["objective"] == objective]
        fig.add_trace(
            go.Scatter(
                x=[p["distortion"] for p in ps],
                y=[p["mig"] for p in ps],
                mode="markers+text",
                name=objective,
                text=[p["name"] for p in ps],
                textposition="top center",
                customdata=[[p["name"], p["beta"]] for p in ps],
                marker={"size": 11},
                hovertemplate="%{customdata[0]}<br>beta %{customdata[1]}<br>"
                + tr("distortion %{x:.2f}")
                + "<br>MIG %{y:.3f}<extra></extra>",
            )
        )
    fig.update_layout(
        title=wrapped(tr("Disentanglement against reconstruction"), HALF_PAGE_PX),
        xaxis_title=tr("distortion (nats, lower is better)"),
        yaxis_title="MIG",
        height=420,
    )
    return fig


def kl_decomposition_bars(rows: Sequence[dict], tr: Translate = english) -> go.Figure:
    """Stacked bars per model: index-code MI, total correlation, dimension-wise KL (nats)."""
    names = [r["name"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(name=tr(label), x=names, y=[r[key] for r in rows])
            for key, label in (
                ("index_code_mi", N_("index-code MI")),
                ("total_correlation", N_("total correlation")),
                ("dimwise_kl", N_("dimension-wise KL")),
            )
        ]
    )
    fig.update_layout(
        barmode="relative",
        title=wrapped(tr("The KL split: MI + TC + dimension-wise KL (test split)"), HALF_PAGE_PX),
        yaxis_title=tr("nats"),
        height=380,
    )
    return fig


def _ellipse(mean: Sequence[float], sd: Sequence[float], k: float, n: int = 73) -> tuple[np.ndarray, np.ndarray]:
    """The k-sd contour of an axis-aligned Gaussian in 2-D."""
    t = np.linspace(0, 2 * np.pi, n)
    return mean[0] + k * sd[0] * np.cos(t), mean[1] + k * sd[1] * np.sin(t)


POSTERIOR_COLOURS = ("#d62728", "#2ca02c")  # the amortized q(z|x), then the optimised q*(z|x)


def mass_window(grid, gaussians, mass: float = 0.999, pad: float = 0.15) -> tuple[list[float], list[float]]:
    """The square window (z1 range, z2 range) that holds ``mass`` of the grid posterior's probability (its most
    probable cells) and every Gaussian's 2-sd ellipse, widened by ``pad`` of its side on each side: where the
    picture has something to show, not the whole grid the posterior was computed on."""
    prob = np.asarray(grid.prob, dtype=np.float64)
    order = np.argsort(prob, axis=None)[::-1]
    keep = order[: int(np.searchsorted(np.cumsum(prob.flat[order]) / prob.sum(), mass)) + 1]
    rows, cols = np.unravel_index(keep, prob.shape)  # prob is (z2, z1)
    z1, z2 = np.asarray(grid.z1, dtype=np.float64), np.asarray(grid.z2, dtype=np.float64)
    lo = [z1[cols].min(), z2[rows].min()]
    hi = [z1[cols].max(), z2[rows].max()]
    for mean, sd in gaussians.values():
        for a in range(2):
            lo[a], hi[a] = min(lo[a], mean[a] - 2 * sd[a]), max(hi[a], mean[a] + 2 * sd[a])
    side = max(hi[0] - lo[0], hi[1] - lo[1]) * (1 + 2 * pad)
    centre = [(lo[a] + hi[a]) / 2 for a in range(2)]
    return [centre[0] - side / 2, centre[0] + side / 2], [centre[1] - side / 2, centre[1] + side / 2]


def true_posterior_figure(
    grid,
    gaussians: dict[str, tuple[Sequence[float], Sequence[float]]],
    samples: np.ndarray | None = None,
    tr: Translate = english,
) -> go.Figure:
    """The true posterior p(z|x) of a 2-D latent as a heat map (``grid``: z1, z2, prob), with the 1 and 2 sd
    ellipses of each named Gaussian posterior (mean, sd) over it, and draws (N, 2) of a flow posterior.

    Colours follow POSTERIOR_COLOURS: the encoder's q (ellipses, or a flow's draws), then q*. The axes show
    :func:`mass_window`."""
    fig = go.Figure(
        go.Heatmap(
            x=grid.z1,
            y=grid.z2,
            z=grid.prob,
            colorscale="Blues",
            name="p(z|x)",
            colorbar=dict(title="p(z|x)<br>" + tr("per cell")),
            hovertemplate="z0 %{x:.2f}<br>z1 %{y:.2f}<br>p %{z:.2e}<extra>" + tr("true posterior") + "</extra>",
        )
    )
    first = 0 if samples is None else 1  # a flow's q is its draws, in the encoder's colour: the Gaussians follow
    for i, (name, (mean, sd)) in enumerate(gaussians.items(), start=first):
        colour = POSTERIOR_COLOURS[i] if i < len(POSTERIOR_COLOURS) else px.colors.qualitative.Plotly[i]
        for k, dash in ((1, "solid"), (2, "dash")):
            ex, ey = _ellipse(mean, sd, k)
            fig.add_trace(
                go.Scatter(
                    x=ex,
                    y=ey,
                    mode="lines",
                    line=dict(color=colour, dash=dash, width=2),
                    name=f"{name}, {k} sd",
                    legendgroup=name,
                    hoverinfo="skip",
                )
            )
    if samples is not None:
        fig.add_trace(
            go.Scatter(
                x=samples[:, 0],
                y=samples[:, 1],
                mode="markers",
                marker=dict(size=3, color=POSTERIOR_COLOURS[0], opacity=0.5),
                name=tr("draws of the flow q(z|x)"),
                hoverinfo="skip",
            )
        )
    x_range, y_range = mass_window(grid, gaussians)
    fig.update_layout(
        title=wrapped(tr("True posterior p(z|x) (shaded) and Gaussian posteriors (1 and 2 sd)"), PAGE_PX),
        xaxis=dict(title="z0", range=x_range, constrain="domain"),
        yaxis=dict(title="z1", range=y_range, scaleanchor="x", scaleratio=1, constrain="domain"),
        legend=dict(orientation="h", y=-0.2),
        margin=dict(l=10, r=10, t=70, b=10),
        height=560,
    )
    return fig


def gap_bars(rows: Sequence[dict], tr: Translate = english) -> go.Figure:
    """log p(x) - ELBO(q) split into the approximation and the amortization gap, one stacked bar per row
    ({"name", "approximation_gap", "amortization_gap"}, nats)."""
    names = [r["name"] for r in rows]
    fig = go.Figure()
    for key, label, colour in (
        ("approximation_gap", N_("approximation gap: log p(x) - ELBO(q*)"), "#2ca02c"),
        ("amortization_gap", N_("amortization gap: ELBO(q*) - ELBO(q)"), "#d62728"),
    ):
        fig.add_trace(go.Bar(x=names, y=[r[key] for r in rows], name=tr(label), marker_color=colour))
    fig.update_layout(
        barmode="relative",
        title=tr("log p(x) - ELBO(q) = approximation gap + amortization gap"),
        yaxis_title=tr("nats per example"),
        legend=dict(orientation="h", y=-0.2),
        margin=dict(l=10, r=10, t=70, b=10),
    )
    return fig


def add_own_point(
    fig: go.Figure, xy: Sequence[float], name: str = N_("your input"), tr: Translate = english
) -> go.Figure:
    """Mark one point (a drawn or uploaded input) on a 2-D map with a star."""
    name = tr(name)
    fig.add_scatter(
        x=[xy[0]],
        y=[xy[1]],
        mode="markers",
        name=name,
        marker=dict(symbol="star", size=20, color="black", line=dict(color="white", width=1.5)),
        hovertemplate=name + "<extra></extra>",
    )
    return fig
