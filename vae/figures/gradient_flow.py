"""Figures of the gradient-flow lesson: layer x time heat maps of the gradient norms and the dead units, and the
first layer's gradient norm against the last's. Series: :func:`vae.analysis.gradient_flow.flow_series`.

The heat maps' colour scales are fixed (LOG_NORM_RANGE, 0 to 1 for the dead share), so that two models' maps,
one after the other, read alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from vae.i18n import Translate, english

FONT = dict(size=16)  # read from the back of a room
LOG_NORM_RANGE = (-5.0, 1.0)  # log10 of a layer's gradient norm: 1e-5 (vanished) to 10


def _heatmap(z: np.ndarray, epochs: Sequence[float], names: Sequence[str], **kw) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=z.T, x=list(epochs), y=list(names), colorscale="Viridis", **kw))
    fig.update_yaxes(autorange="reversed", title=None)  # the first layer on top, as x passes through them
    fig.update_layout(font=FONT, height=max(320, 60 + 22 * len(names)), margin=dict(l=10, r=10, t=60, b=50))
    return fig


def gradient_heatmap(series: dict[str, Any], layer_names: Sequence[str], tr: Translate = english) -> go.Figure:
    """log10 of each layer's gradient norm (rows, the encoder's first on top) at each recorded step."""
    g = np.asarray(series["grad_norm"], dtype=float)
    with np.errstate(divide="ignore"):
        z = np.log10(np.where(g > 0, g, np.nan))
    fig = _heatmap(
        z,
        series["epoch"],
        layer_names,
        zmin=LOG_NORM_RANGE[0],
        zmax=LOG_NORM_RANGE[1],
        colorbar=dict(title="log10 |g|"),
        hovertemplate=tr("%{y}, epoch %{x:.2f}: log10 gradient norm %{z:.2f}") + "<extra></extra>",
    )
    fig.update_layout(title=tr("Each layer's gradient norm (log10)"), xaxis_title=tr("epoch"))
    return fig


def dead_heatmap(series: dict[str, Any], activation_names: Sequence[str], tr: Translate = english) -> go.Figure:
    """The share of each activation's units that are 0 for every example of the batch, at each recorded step."""
    fig = _heatmap(
        np.asarray(series["dead"], dtype=float),
        series["epoch"],
        activation_names,
        zmin=0.0,
        zmax=1.0,
        colorbar=dict(title=tr("dead")),
        hovertemplate=tr("%{y}, epoch %{x:.2f}: %{z:.1%} of the units dead") + "<extra></extra>",
    )
    fig.update_layout(title=tr("Dead units: 0 for every example of the batch"), xaxis_title=tr("epoch"))
    return fig


def first_last_figure(series: dict[str, Any], layer_names: Sequence[str], tr: Translate = english) -> go.Figure:
    """The first layer's and the last layer's gradient norms across training, on a log axis."""
    g = np.asarray(series["grad_norm"], dtype=float)
    fig = go.Figure()
    for col, name, dash in ((0, tr("first layer"), "solid"), (-1, tr("last layer"), "dash")):
        fig.add_scatter(
            x=series["epoch"],
            y=g[:, col],
            name=f"{name} ({layer_names[col]})",
            mode="lines",
            line=dict(width=3, dash=dash),
        )
    fig.update_yaxes(type="log", title=tr("gradient norm"))
    fig.update_layout(
        title=tr("The first layer's gradient against the last layer's"),
        xaxis_title=tr("epoch"),
        font=FONT,
        legend=dict(orientation="h", y=-0.25),
        margin=dict(l=10, r=10, t=60, b=10),
    )
    return fig
