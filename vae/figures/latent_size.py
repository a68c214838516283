"""Figures of the latent-size lesson: -ELBO, distortion and rate against d_z, and the units each model uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vae.i18n import Translate, english

FONT = dict(size=16)  # read from the back of a room


def latent_size_figure(rows: Sequence[Mapping[str, float]], tr: Translate = english) -> go.Figure:
    """Two panels against d_z (log 2 scale): the nats (-ELBO, distortion, rate) and the active units beside the
    line where every unit is used. Rows: :func:`vae.analysis.latent_size.sweep_rows`."""
    d = [r["latent_dim"] for r in rows]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(tr("nats per image"), tr("units")), horizontal_spacing=0.14)
    for key, name, dash in (
        ("elbo", "-ELBO", "solid"),
        ("distortion", tr("distortion"), "dash"),
        ("rate", tr("rate (KL)"), "dot"),
    ):
        fig.add_scatter(
            x=d, y=[r[key] for r in rows], name=name, mode="lines+markers", line=dict(width=3, dash=dash), row=1, col=1
        )
    fig.add_scatter(
        x=d,
        y=[r["active_units"] for r in rows],
        name=tr("active units"),
        mode="lines+markers",
        line=dict(width=3),
        row=1,
        col=2,
    )
    fig.add_scatter(
        x=d,
        y=d,
        name=tr("every unit used (d_z)"),
        mode="lines",
        line=dict(width=2, dash="dot", color="grey"),
        row=1,
        col=2,
    )
    axis = dict(type="log", tickvals=d, ticktext=[str(v) for v in d], title=tr("latent size d_z"))
    fig.update_xaxes(**axis)
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(
        title=tr("Only d_z changes: the distortion levels off, then new units go unused"),
        font=FONT,
        legend=dict(orientation="h", y=-0.32),
        height=480,
    )
    fig.update_annotations(font=FONT)
    return fig
