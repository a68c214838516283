"""Plotly figures of token sequences: tables of decoded text, no Streamlit.

A name is best read as text, so where an image model gets a mosaic of pictures a token model
gets a table (``go.Table``). Traversal and interpolation tables hold every step at once (rows)
and carry, as the image figures do, a slider in the figure: dragging it highlights the row of
that step in the browser, with no round trip to a server. ``layout.meta["texts"]`` holds the
decoded strings of every cell, row by row, as the figure shows them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from vae.figures.slider import dimension_labels, frame_slider
from vae.i18n import Translate, english

ROW_PX = 26  # height of one table row on the page
PLAIN, LIT = "#ffffff", "#ffe9a8"  # a row's fill; the row the slider is on


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], title: str | None, fill=None) -> go.Figure:
    """A table of ``rows`` (each as many cells as ``header``) under ``title``; ``fill`` a colour per row."""
    columns = [list(c) for c in zip(*rows)] if rows else [[] for _ in header]
    fig = go.Figure(
        go.Table(
            header=dict(values=[f"<b>{h}</b>" for h in header], align="left", fill_color="#eef1f6"),
            cells=dict(
                values=columns,
                align="left",
                height=ROW_PX,
                fill_color=[list(fill)] * len(header) if fill is not None else PLAIN,
                font=dict(family="monospace", size=14),
            ),
        )
    )
    fig.update_layout(
        title=title,
        height=int(min(1400, 90 + ROW_PX * (len(rows) + 1) + (40 if title else 0))),
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        meta={"texts": [list(r) for r in rows]},
    )
    return fig


def text_grid(
    texts: Sequence[str], ncols: int = 8, titles: Sequence[str] | None = None, title: str | None = None
) -> go.Figure:
    """Strings in a grid of ``ncols`` columns, row by row; with ``titles``, each cell reads "title: text"."""
    ncols = max(1, min(ncols, len(texts) or 1))
    cells = [f"{t}: {s}" if t else s for t, s in zip(titles, texts)] if titles is not None else list(texts)
    rows = [cells[i : i + ncols] for i in range(0, len(cells), ncols)]
    if rows:
        rows[-1] = rows[-1] + [""] * (ncols - len(rows[-1]))
    return _table([""] * ncols, rows, title)


def _stepped(header: Sequence[str], rows: list[list[str]], prefix: str, labels: Sequence[str], title: str):
    """A table with one row per step and a slider whose step ``s`` highlights row ``s``."""
    n = len(rows)
    fig = _table(header, rows, title, fill=[LIT] + [PLAIN] * (n - 1))

    def lit(s: int) -> list[list[str]]:
        return [[LIT if r == s else PLAIN for r in range(n)]] * len(header)

    fig.frames = [go.Frame(name=str(s), traces=[0], data=[go.Table(cells=dict(fill_color=lit(s)))]) for s in range(n)]
    fig.layout.sliders = [frame_slider(prefix, labels[:n], pad={"t": 10})]
    fig.update_layout(height=fig.layout.height + 80, margin=dict(b=90))
    return fig


def text_traversal(trav, show, labels: Sequence[str] | None = None, tr: Translate = english) -> go.Figure:
    """A traversal of a token model: a column of decoded sequences per latent dimension, a row per offset.

    ``trav.images`` is (dims, steps, L) token ids and ``show`` turns ids into strings (the modality's).
    """
    labels = dimension_labels(trav) if labels is None else labels
    texts = [show(np.asarray(col)) for col in trav.images]  # per dimension, per step
    offsets = [f"{v:+.2f}" for v in trav.values]
    rows = [[offsets[s]] + [texts[d][s] for d in range(len(texts))] for s in range(len(offsets))]
    return _stepped(
        [tr("offset (prior sd)"), *labels],
        rows,
        tr("offset (prior sd): "),
        offsets,
        tr("Latent traversal: each column moves one dimension; drag the slider"),
    )


def text_interpolation(interp, show, start_label: str = "A", end_label: str = "B", tr: Translate = english):
    """The "homotopy" of Bowman et al. (2016): the sequence decoded at each point between two codes."""
    texts = show(np.asarray(interp.images))
    ts = [f"{t:.2f}" for t in interp.t]
    where = [start_label] + [""] * (len(ts) - 2) + [end_label] if len(ts) >= 2 else [start_label]
    rows = [[ts[s], where[s], texts[s]] for s in range(len(ts))]
    return _stepped(
        ["t", "", tr("interpolation along a {path}").format(path=tr(interp.path))],
        rows,
        "t = ",
        ts,
        tr("Interpolation between posterior means along a {path}: drag the slider").format(path=tr(interp.path)),
    )


def attention_figure(att, block: int = 0, tr: Translate = english) -> go.Figure:
    """Two heat maps for one block of a Transformer decoder (``vae.analysis.explore.DecoderAttention``):
    each predicted token's weights over the tokens before it (causal self-attention) and over the memory
    vectors made from z (cross-attention). Rows: what each step predicts; a row of each map sums to 1."""
    from plotly.subplots import make_subplots

    rows = [f"{t}: {o}" for t, o in enumerate(att.outputs)]
    memory = [f"z→m{m}" for m in range(att.cross_attention.shape[-1])]
    inputs = [f"{s}: {c}" for s, c in enumerate(att.inputs)]
    fig = make_subplots(
        1,
        2,
        column_widths=[0.7, 0.3],
        horizontal_spacing=0.12,
        subplot_titles=[tr("the tokens before (self-attention)"), tr("the code z (cross-attention)")],
    )
    hover = tr("step %{y} looks at %{x}: %{z:.2f}") + "<extra></extra>"
    for col, (w, cols) in enumerate(((att.self_attention[block], inputs), (att.cross_attention[block], memory)), 1):
        fig.add_heatmap(
            z=w,
            x=cols,
            y=rows,
            zmin=0,
            zmax=1,
            colorscale="Blues",
            hovertemplate=hover,
            showscale=col == 2,
            row=1,
            col=col,
        )
    fig.update_yaxes(autorange="reversed", title_text=tr("step: the token it predicts"), row=1, col=1)
    fig.update_yaxes(autorange="reversed", showticklabels=False, row=1, col=2)
    fig.update_layout(
        title=tr("Where the decoder looks, block {block} (heads averaged)").format(block=block + 1),
        height=int(160 + 28 * len(rows)),
        margin=dict(l=10, r=10, t=80, b=10),
    )
    return fig
