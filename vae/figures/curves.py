"""Plotly figures of real-valued series (C, L): curves, no Streamlit.

As images are tiled into one picture, curves are tiled into one line trace per channel: cell k of
a grid of ``ncols`` columns draws its series at x = column * (L + GAP) + t and
y = -row * ROW + value (values in [0, 1]), the cells separated by gaps (None). One trace draws
fast in a browser, where one subplot per series would bring its own axes. ``layout.meta`` holds
each shown series (``values``: cells x C x L, as drawn in frame 0) and the cell size. Traversal
and interpolation figures carry a slider in the figure that swaps every cell's curve in the
browser (frames), with no round trip to a server.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from vae.figures.slider import dimension_labels, frame_slider
from vae.i18n import Translate, english

GAP, ROW = 8, 1.35  # steps between cells; height of a row of cells (a series spans 1)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def _tiled(series: np.ndarray, ncols: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(x, y) per channel for ``series`` (N, C, L) in a grid of ``ncols`` columns, cells split by NaN."""
    n, c, length = series.shape
    xs, ys = [], []
    for ch in range(c):
        x, y = [], []
        for k in range(n):
            r, col = divmod(k, ncols)
            x.append(col * (length + GAP) + np.arange(length, dtype=np.float64))
            y.append(-r * ROW + series[k, ch].astype(np.float64))
            x.append([np.nan])
            y.append([np.nan])
        xs.append(np.concatenate(x) if x else np.zeros(0))
        ys.append(np.concatenate(y) if y else np.zeros(0))
    return xs, ys


def _figure(frames: np.ndarray, ncols: int, titles: Sequence[str] | None, title: str | None) -> go.Figure:
    """The figure of frame 0 of ``frames`` (S, N, C, L): a line trace per channel, titles above the cells."""
    n, c, length = frames.shape[1:]
    ncols = max(1, min(ncols, n))
    rows = -(-n // ncols)
    xs, ys = _tiled(frames[0], ncols)
    fig = go.Figure(
        [
            go.Scatter(x=x, y=y, mode="lines", line=dict(width=1.5, color=COLOURS[ch % 4]), hoverinfo="skip")
            for ch, (x, y) in enumerate(zip(xs, ys))
        ]
    )
    for k, text in enumerate(titles or []):
        if text:
            r, col = divmod(k, ncols)
            fig.add_annotation(
                x=col * (length + GAP) + length / 2, y=-r * ROW + 1.12, text=text, showarrow=False, font=dict(size=11)
            )
    bare = dict(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    fig.update_xaxes(range=[-2, ncols * (length + GAP) - GAP + 2], **bare)
    fig.update_yaxes(range=[-(rows - 1) * ROW - 0.1, 1.25], **bare)
    fig.update_layout(
        title=title,
        showlegend=False,
        height=int(min(1400, 70 + 95 * rows)),
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        plot_bgcolor="white",
        meta={"values": frames[0].tolist(), "size": [c, length], "ncols": ncols},
    )
    return fig


def curve_grid(
    series: np.ndarray, ncols: int = 8, titles: Sequence[str] | None = None, title: str | None = None
) -> go.Figure:
    """Series (N, C, L) as curves in a grid, row by row, each under its title when ``titles`` are given."""
    return _figure(np.asarray(series, np.float32)[None], ncols, titles, title)


def _stepped(frames: np.ndarray, ncols: int, titles: Sequence[str], prefix: str, labels: Sequence[str], title: str):
    """Cells that change together with a slider: ``frames`` (S, N, C, L); frame s redraws every channel's trace."""
    fig = _figure(frames, ncols, titles, title)
    n_cols = fig.layout.meta["ncols"]
    traces = list(range(frames.shape[2]))
    fig.frames = [
        go.Frame(name=str(s), traces=traces, data=[go.Scatter(x=x, y=y) for x, y in zip(*_tiled(f, n_cols))])
        for s, f in enumerate(frames)
    ]
    fig.layout.sliders = [frame_slider(prefix, labels[: len(frames)], redraw=False)]
    fig.update_layout(height=fig.layout.height + 80)
    return fig


def curve_traversal(trav, labels: Sequence[str] | None = None, ncols: int = 4, tr: Translate = english) -> go.Figure:
    """A traversal of a series model: one cell per latent dimension, one frame per offset."""
    return _stepped(
        np.swapaxes(np.asarray(trav.images, np.float32), 0, 1),
        ncols,
        dimension_labels(trav) if labels is None else labels,
        tr("offset (prior sd): "),
        [f"{v:+.2f}" for v in trav.values],
        tr("Latent traversal: drag the slider"),
    )


def curve_interpolation(interp, start_label: str = "A", end_label: str = "B", tr: Translate = english) -> go.Figure:
    """Start, current and end series; one frame per interpolation step."""
    series = np.asarray(interp.images, np.float32)
    steps = len(interp.t)
    frames = np.stack([np.repeat(series[:1], steps, 0), series, np.repeat(series[-1:], steps, 0)], 1)
    return _stepped(
        frames,
        3,
        [start_label, "z(t)", end_label],
        "t = ",
        [f"{t:.2f}" for t in interp.t],
        tr("Interpolation between posterior means along a {path}: drag the slider").format(path=tr(interp.path)),
    )


def curve_pictures(series: np.ndarray, height: int = 40, step_px: int = 2) -> np.ndarray:
    """Series (N, C, L) in [0, 1] drawn as grey pictures (N, 1, height, L * step_px): dark lines on white, a
    channel per line, consecutive steps joined. What the PNG and GIF exports of a series model save."""
    s = np.clip(np.asarray(series, np.float64), 0, 1)
    n, c, length = s.shape
    width = length * step_px
    out = np.ones((n, 1, height, width), np.float32)
    cols = np.arange(width)
    pos = cols / step_px  # each pixel column's place among the steps
    lo = np.minimum(np.floor(pos).astype(int), length - 1)
    hi = np.minimum(lo + 1, length - 1)
    frac = pos - lo
    for i in range(n):
        for ch in range(c):
            y = (1 - ((1 - frac) * s[i, ch, lo] + frac * s[i, ch, hi])) * (height - 1)
            top = np.minimum(y, np.concatenate([y[:1], y[:-1]]))  # join each column to the one before
            bottom = np.maximum(y, np.concatenate([y[:1], y[:-1]]))
            rows = np.arange(height)[:, None]
            ink = (rows >= np.floor(top)) & (rows <= np.ceil(bottom))
            out[i, 0][ink] = 0.15 * ch  # channel 0 black, later ones lighter
    return out


def reconstruction_overlay(
    inputs: np.ndarray, reconstructions: dict[str, np.ndarray], titles: Sequence[str], tr: Translate = english
) -> go.Figure:
    """Each input series (N, C, L), channel 0, in a panel of its own, with every model's reconstruction of it
    (label -> (N, C, L)) drawn over it in a colour per model: which encoders read the wave, side by side.
    ``layout.meta``: the input and each model's curves as drawn."""
    from plotly.subplots import make_subplots

    n = len(inputs)
    fig = make_subplots(rows=1, cols=n, subplot_titles=list(titles), horizontal_spacing=0.04)
    palette = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd")
    steps = np.arange(inputs.shape[-1])
    for k in range(n):
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=inputs[k, 0],
                mode="lines",
                name=tr("input x"),
                legendgroup="x",
                showlegend=k == 0,
                line=dict(width=5, color="rgba(0,0,0,0.3)"),
            ),
            row=1,
            col=k + 1,
        )
        for i, (label, rec) in enumerate(reconstructions.items()):
            fig.add_trace(
                go.Scatter(
                    x=steps,
                    y=rec[k, 0],
                    mode="lines",
                    name=label,
                    legendgroup=label,
                    showlegend=k == 0,
                    line=dict(width=2, color=palette[i % len(palette)]),
                ),
                row=1,
                col=k + 1,
            )
    fig.update_xaxes(title_text=tr("step"), title_font=dict(size=15), tickfont=dict(size=13))
    fig.update_yaxes(range=[-0.05, 1.05], tickfont=dict(size=13))
    fig.update_annotations(font=dict(size=16))
    fig.update_layout(
        height=430,
        font=dict(size=15),
        legend=dict(orientation="h", y=-0.28, x=0, font=dict(size=15)),
        margin=dict(l=10, r=10, t=40, b=10),
        plot_bgcolor="white",
        meta={
            "inputs": inputs[:, 0].tolist(),
            "reconstructions": {k: v[:, 0].tolist() for k, v in reconstructions.items()},
        },
    )
    return fig
