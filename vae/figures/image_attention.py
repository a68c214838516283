"""Where an image network's self-attention looks: one cell's weights over the grid, laid over the image.

A panel per network with a block (vae.analysis.explore.image_attention): the image it reads or draws in grey,
the weights of the cell that holds the chosen pixel over the cells (a heat map of the grid's resolution stretched
over the pixels, one colour scale from 0 to the largest weight in the figure), and a clickable marker on every
cell whose ``customdata`` is the pixel at its centre (row, column); the chosen cell is outlined.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vae.analysis.explore import cell_weights, query_cell
from vae.figures.plots import HALF_PAGE_PX, to_uint8
from vae.i18n import N_, Translate, english

NETWORK_TITLES = {"encoder": N_("encoder, reading x"), "decoder": N_("decoder, drawing E[x|z]")}
CELL_COLOUR = "#00b4ff"  # the chosen cell's outline: visible on grey and on the heat map's dark and bright ends


def image_attention_figure(att, pixel: tuple[int, int], head: int | None = None, tr: Translate = english) -> go.Figure:
    """The panels of the module's docstring for the cell under ``pixel`` (row, column of the image) and ``head``
    (None: the mean of the heads)."""
    networks = list(att.weights)
    fig = make_subplots(1, len(networks), subplot_titles=[tr(NETWORK_TITLES[w]) for w in networks])
    side = att.image[networks[0]].shape[-2:]
    cells = {w: query_cell(att.grid[w], side, pixel) for w in networks}
    top = max(float(cell_weights(att.weights[w], cells[w], head).max()) for w in networks)
    for col, w in enumerate(networks, 1):
        (gh, gw), n = att.grid[w], cells[w]
        grey = to_uint8(att.image[w]).astype(float)
        grey = grey.mean(-1) if grey.ndim == 3 else grey
        h, wid = grey.shape
        sy, sx = h / gh, wid / gw
        fig.add_trace(
            go.Heatmap(z=grey, colorscale="gray", zmin=0, zmax=255, showscale=False, hoverinfo="skip"), 1, col
        )
        fig.add_trace(
            go.Heatmap(
                z=cell_weights(att.weights[w], n, head).reshape(gh, gw),
                x0=(sx - 1) / 2,
                dx=sx,
                y0=(sy - 1) / 2,
                dy=sy,
                colorscale="Inferno",
                zmin=0,
                zmax=top,
                opacity=0.6,
                colorbar={  # below the panels, so that they take the page's width
                    "title": {"text": tr("weight"), "side": "top"},
                    "orientation": "h",
                    "len": 0.6,
                    "thickness": 14,
                    "y": -0.05,
                    "yanchor": "top",
                },
                showscale=col == len(networks),
                hovertemplate=tr("weight") + " %{z:.3f}<extra></extra>",
            ),
            1,
            col,
        )
        rows, cols = np.divmod(np.arange(gh * gw), gw)
        centre = np.stack([(rows * sy + sy / 2).astype(int), (cols * sx + sx / 2).astype(int)], 1)
        fig.add_trace(
            go.Scatter(
                x=cols * sx + (sx - 1) / 2,
                y=rows * sy + (sy - 1) / 2,
                mode="markers",
                marker={"size": 14, "symbol": "square", "color": "rgba(255,255,255,0.08)"},
                customdata=np.concatenate([centre, np.stack([rows, cols], 1)], 1),
                hovertemplate=tr("cell ({row}, {col}): click to look from it").format(
                    row="%{customdata[2]}", col="%{customdata[3]}"
                )
                + "<extra></extra>",
                showlegend=False,
            ),
            1,
            col,
        )
        r, c = divmod(n, gw)
        fig.add_shape(
            type="rect",
            x0=c * sx - 0.5,
            x1=(c + 1) * sx - 0.5,
            y0=r * sy - 0.5,
            y1=(r + 1) * sy - 0.5,
            line={"color": CELL_COLOUR, "width": 3},
            row=1,
            col=col,
        )
        fig.update_xaxes(showticklabels=False, ticks="", showgrid=False, zeroline=False, row=1, col=col)
        fig.update_yaxes(
            autorange="reversed",
            scaleanchor=f"x{col if col > 1 else ''}",
            showticklabels=False,
            ticks="",
            showgrid=False,
            zeroline=False,
            row=1,
            col=col,
        )
    fig.update_layout(
        height=HALF_PAGE_PX + 120,  # panels of about 270 px beside each other on a 1024-pixel projector
        width=None,
        margin={"l": 10, "r": 10, "t": 50, "b": 70},
        clickmode="event+select",
        dragmode=False,
        font={"size": 16},
    )
    return fig
