"""Figures of the output-layer and likelihood lesson: what p(x|z) predicts for one pixel, a learned sigma over
the epochs, and the sweep of a fixed sigma (rate and used units against sigma)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from vae.figures.plots import CLASS_COLOURS
from vae.i18n import Translate, english

FONT = dict(size=16)  # read from the back of a room


LOG_FLOOR = 1e-6  # the log-scale axis starts here: a Bernoulli's 254 impossible values would stretch it to 0


def value_distribution_figure(
    dists: Mapping[str, np.ndarray], true_value: int, tr: Translate = english, log: bool = True
) -> go.Figure:
    """P(v | z) over the 8-bit values v = 0..255 of one pixel, one line per model (``dists``: label -> 256
    probabilities), the pixel's true value marked; ``log``: a log-scale probability axis from LOG_FLOOR to 1."""
    fig = go.Figure()
    for (label, p), colour in zip(dists.items(), CLASS_COLOURS):
        fig.add_scatter(
            x=np.arange(len(p)),
            y=np.maximum(np.asarray(p, dtype=float), LOG_FLOOR / 10) if log else p,
            name=label,
            mode="lines",
            line=dict(color=colour, width=3, shape="hvh"),
            hovertemplate="v = %{x}<br>P = %{y:.3g}<extra>" + label + "</extra>",
        )
    fig.add_vline(x=true_value, line=dict(color="black", dash="dash", width=2))
    fig.add_annotation(
        x=true_value, y=1.02, yref="paper", text=tr("true value {v}").format(v=true_value), showarrow=False
    )
    fig.update_layout(
        title=tr("What p(x|z) predicts for this pixel"),
        xaxis=dict(title=tr("8-bit value v (0 black, 255 white)"), range=[-3, 258]),
        yaxis=dict(title=tr("probability P(v | z)"), type="log", range=[np.log10(LOG_FLOOR), 0.05])
        if log
        else dict(title=tr("probability P(v | z)")),
        font=FONT,
        legend=dict(orientation="h", y=-0.25),
        height=460,
    )
    return fig


def sigma_history_figure(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], tr: Translate = english):
    """sigma of each Gaussian model over its epochs (``curves``: label -> (epochs, sigmas)), log scale."""
    fig = go.Figure()
    for (label, (epochs, sigmas)), colour in zip(curves.items(), CLASS_COLOURS):
        fig.add_scatter(x=list(epochs), y=list(sigmas), name=label, mode="lines+markers", line=dict(color=colour))
    fig.update_layout(
        title=tr("sigma over the epochs (test examples)"),
        xaxis_title=tr("epoch"),
        yaxis=dict(title="sigma", type="log"),
        font=FONT,
        legend=dict(orientation="h", y=-0.25),
        height=420,
    )
    return fig


def hidden_beta_figure(rows: Sequence[Mapping[str, float]], tr: Translate = english) -> go.Figure:
    """The sweep of a fixed sigma: rate (nats, left axis), used units and the units probabilistic PCA keeps (right
    axis) against sigma (log scale; beta = 2 sigma^2 against a plain squared error). Each row: ``sigma``, ``rate``,
    ``used_units``, ``ppca``."""
    sigma = [r["sigma"] for r in rows]
    fig = go.Figure()
    fig.add_scatter(
        x=sigma, y=[r["rate"] for r in rows], name=tr("rate (KL)"), mode="lines+markers", line=dict(width=3)
    )
    for key, name, dash in (("used_units", tr("used units"), "dash"), ("ppca", tr("pPCA keeps"), "dot")):
        fig.add_scatter(
            x=sigma,
            y=[r[key] for r in rows],
            name=name,
            mode="lines+markers",
            yaxis="y2",
            line=dict(width=3, dash=dash),
        )
    fig.update_layout(
        title=tr("A fixed sigma is a hidden beta: the larger sigma, the less z carries"),
        xaxis=dict(
            title=tr("sigma (beta = 2 sigma^2 against a squared error)"),
            type="log",
            tickvals=sigma,
            ticktext=[f"{s:g}" for s in sigma],
        ),
        yaxis=dict(title=tr("rate (nats)"), rangemode="tozero"),
        yaxis2=dict(title=tr("units"), overlaying="y", side="right", rangemode="tozero", dtick=4, showgrid=False),
        font=FONT,
        legend=dict(orientation="h", y=-0.3),
        height=440,
    )
    return fig


def pixel_picker_figure(picture: np.ndarray, marked: tuple[int, int], tr: Translate = english) -> go.Figure:
    """A picture (H, W) grey or (H, W, 3) RGB uint8 to click a pixel of: an invisible point over every pixel, its
    ``customdata`` [row, col], and a square around the ``marked`` (row, col)."""
    h, w = picture.shape[:2]
    rows, cols = np.divmod(np.arange(h * w), w)
    fig = go.Figure(go.Image(z=np.stack([picture] * 3, -1) if picture.ndim == 2 else picture, hoverinfo="skip"))
    fig.add_scatter(
        x=cols,
        y=rows,
        mode="markers",
        marker=dict(size=max(4, 280 // max(h, w)), symbol="square", opacity=0.01, color="white"),
        customdata=np.stack([rows, cols], 1),
        hovertemplate=tr("row %{customdata[0]}, column %{customdata[1]}") + "<extra></extra>",
        showlegend=False,
    )
    r, c = marked
    fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, line=dict(color="red", width=3))
    fig.update_layout(
        title=tr("Click a pixel"),
        font=FONT,
        height=330,
        margin=dict(l=10, r=10, t=50, b=10),
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        clickmode="event+select",
        dragmode=False,
    )
    return fig
