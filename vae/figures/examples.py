"""Examples as the reader sees them, whatever x is: the one place the pages ask for a figure of data.

Each function takes the model's modality (``vae.data.modality``) and returns a Plotly figure:
pictures for images (``vae.figures.plots``), tables of text for token sequences
(``vae.figures.text``), curves for real-valued series (``vae.figures.curves``). A new kind of
data adds its branch here, not in every page.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from vae.data.modality import Modality
from vae.figures import curves, plots, text
from vae.i18n import Translate, english


def examples_figure(
    modality: Modality,
    x: np.ndarray,
    ncols: int = 10,
    titles: Sequence[str] | None = None,
    title: str | None = None,
    width_px: float = 900.0,
) -> go.Figure:
    """Examples (N, *shape) row by row, ``ncols`` to a row, each under its title when ``titles`` are given."""
    if modality.kind == "tokens":
        return text.text_grid(modality.show(np.asarray(x)), ncols, titles, title)
    if modality.kind == "series":
        return curves.curve_grid(x, ncols, titles, title)
    return plots.image_grid(x, ncols, titles, title, width_px)


def traversal_figure(
    modality: Modality, trav, labels: Sequence[str] | None = None, ncols: int = 8, tr: Translate = english
) -> go.Figure:
    """A latent traversal (``vae.analysis.explore.traversal``) with its slider."""
    if modality.kind == "tokens":
        return text.text_traversal(trav, modality.show, labels, tr=tr)
    if modality.kind == "series":
        return curves.curve_traversal(trav, labels, min(ncols, 4), tr=tr)
    return plots.traversal_figure(trav, labels, ncols, tr=tr)


def interpolation_figure(
    modality: Modality, interp, start_label: str = "A", end_label: str = "B", tr: Translate = english
) -> go.Figure:
    """An interpolation between two codes (``vae.analysis.explore.interpolation``) with its slider."""
    if modality.kind == "tokens":
        return text.text_interpolation(interp, modality.show, start_label, end_label, tr=tr)
    if modality.kind == "series":
        return curves.curve_interpolation(interp, start_label, end_label, tr=tr)
    return plots.interpolation_figure(interp, start_label, end_label, tr=tr)


def has_pictures(modality: Modality) -> bool:
    """True when an example can be saved as a picture (PNG and GIF downloads apply): images, and series drawn
    as curves (``vae.figures.curves.curve_pictures``)."""
    return modality.kind in ("image", "series")
