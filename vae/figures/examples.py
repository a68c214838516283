"""Examples as the reader sees them, whatever x is: the one place the pages ask for a figure of data.

FIGURES holds, for each kind of data (``vae.data.modality``), how its examples are drawn: pictures for
images (``vae.figures.plots``), tables of text for token sequences (``vae.figures.text``), curves for
real-valued series (``vae.figures.curves``). A new kind of data adds its entry here, not a branch in
every page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from vae.data.modality import Modality
from vae.figures import curves, plots, text
from vae.i18n import Translate, english


@dataclass(frozen=True)
class Drawing:
    """How one kind of data is drawn; each function returns a Plotly figure.

    grid(modality, x (N, *shape), ncols, titles, title, width_px)
    traversal(modality, trav, labels, ncols, tr)          interpolation(modality, interp, start, end, tr)
    traversal_grid(trav, tr): every dimension at every offset in one figure, or None where ``traversal`` already
    shows them all (a table of texts)
    pictures: an example can be saved as a picture (the PNG and GIF downloads apply)
    manifold: how the decoded 2-D latent space is drawn: "picture" (one picture over the codes), "grid" (a
    grid of decoded examples) or None (not drawn)
    """

    grid: Callable[..., go.Figure]
    traversal: Callable[..., go.Figure]
    interpolation: Callable[..., go.Figure]
    traversal_grid: Callable[..., go.Figure] | None
    pictures: bool
    manifold: str | None


FIGURES = {
    "image": Drawing(
        grid=lambda m, x, ncols, titles, title, width_px: plots.image_grid(x, ncols, titles, title, width_px),
        traversal=lambda m, trav, labels, ncols, tr: plots.traversal_figure(trav, labels, ncols, tr=tr),
        interpolation=lambda m, it, a, b, tr: plots.interpolation_figure(it, a, b, tr=tr),
        traversal_grid=lambda trav, tr: plots.traversal_grid(trav, tr=tr),
        pictures=True,
        manifold="picture",
    ),
    "tokens": Drawing(
        grid=lambda m, x, ncols, titles, title, width_px: text.text_grid(m.show(np.asarray(x)), ncols, titles, title),
        traversal=lambda m, trav, labels, ncols, tr: text.text_traversal(trav, m.show, labels, tr=tr),
        interpolation=lambda m, it, a, b, tr: text.text_interpolation(it, m.show, a, b, tr=tr),
        traversal_grid=None,
        pictures=False,
        manifold="grid",
    ),
    "series": Drawing(
        grid=lambda m, x, ncols, titles, title, width_px: curves.curve_grid(x, ncols, titles, title),
        traversal=lambda m, trav, labels, ncols, tr: curves.curve_traversal(trav, labels, min(ncols, 4), tr=tr),
        interpolation=lambda m, it, a, b, tr: curves.curve_interpolation(it, a, b, tr=tr),
        traversal_grid=None,
        pictures=True,
        manifold=None,
    ),
}


def examples_figure(
    modality: Modality,
    x: np.ndarray,
    ncols: int = 10,
    titles: Sequence[str] | None = None,
    title: str | None = None,
    width_px: float = 900.0,
) -> go.Figure:
    """Examples (N, *shape) row by row, ``ncols`` to a row, each under its title when ``titles`` are given."""
    return FIGURES[modality.kind].grid(modality, x, ncols, titles, title, width_px)


def traversal_figure(
    modality: Modality, trav, labels: Sequence[str] | None = None, ncols: int = 8, tr: Translate = english
) -> go.Figure:
    """A latent traversal (``vae.analysis.explore.traversal``) with its slider."""
    return FIGURES[modality.kind].traversal(modality, trav, labels, ncols, tr)


def traversal_grid_figure(modality: Modality, trav, tr: Translate = english) -> go.Figure | None:
    """Every dimension of a traversal at every offset in one figure (``Drawing.traversal_grid``), or None."""
    draw = FIGURES[modality.kind].traversal_grid
    return None if draw is None else draw(trav, tr)


def interpolation_figure(
    modality: Modality, interp, start_label: str = "A", end_label: str = "B", tr: Translate = english
) -> go.Figure:
    """An interpolation between two codes (``vae.analysis.explore.interpolation``) with its slider."""
    return FIGURES[modality.kind].interpolation(modality, interp, start_label, end_label, tr)


def has_pictures(modality: Modality) -> bool:
    """True when an example can be saved as a picture (PNG and GIF downloads apply): images, and series drawn
    as curves (``vae.figures.curves.curve_pictures``)."""
    return FIGURES[modality.kind].pictures


def manifold_drawing(modality: Modality) -> str | None:
    """How the decoded 2-D latent space is drawn: "picture", "grid" or None (``Drawing.manifold``)."""
    return FIGURES[modality.kind].manifold
