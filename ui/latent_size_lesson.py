"""The numbers and pictures of the latent-size lesson (pages/diagnose/latent_size.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from ui import compute, defaults
from ui.i18n import tr
from ui.lesson import lesson_models
from vae.analysis.latent_size import sweep_rows
from vae.figures.examples import examples_figure
from vae.i18n import N_, translator

EXAMPLES = (0, 1, 2, 3, 4, 5, 6, 7)  # the test pictures each model reconstructs, one row each


def sweep_numbers(models: dict[str, Any]) -> list[dict[str, Any]]:
    """:func:`vae.analysis.latent_size.sweep_rows` of the models' collapse reports (stored at save)."""
    return sweep_rows((ck.name, compute.collapse_report(ck, defaults.IWAE_K)) for ck in models.values())


def sweep_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`sweep_numbers` under the page's column names."""
    return [
        {
            "d_z": r["latent_dim"],
            "-ELBO": r["elbo"],
            tr("distortion"): r["distortion"],
            tr("rate (KL)"): r["rate"],
            tr("-log p(x) (IWAE)"): r["iwae_nll"],
            tr("active units"): r["active_units"],
            tr("unused units"): r["unused"],
            tr("name"): r["name"],
        }
        for r in rows
    ]


def sweep_formats() -> dict[str, Any]:
    """Two decimals for the nats of :func:`sweep_table`."""
    nats = (tr("distortion"), tr("rate (KL)"), tr("-log p(x) (IWAE)"), "-ELBO")
    return {k: st.column_config.NumberColumn(format="%.2f") for k in nats}


@compute.cache_data(show_spinner=False, max_entries=8)
def reconstructions_view(models: tuple[Any, ...], index: tuple[int, ...], lang: str) -> dict:
    """The same test pictures through every model of the sweep: one row per picture, the input and then each
    model's mean reconstruction E[x|z = mu(x)], the columns titled by d_z; a figure spec in language ``lang``."""
    t = translator(lang)
    recs = [compute.reconstructions(ck, "test", index, 0) for ck in models]
    cells = [img for i in range(len(index)) for img in (recs[0].original[i], *(r.mean[i] for r in recs))]
    titles = ["x", *(f"d_z={ck.config.latent_dim}" for ck in models)]
    fig = examples_figure(
        models[0].modality,
        np.stack(cells),
        ncols=len(titles),
        titles=titles + [""] * (len(cells) - len(titles)),
        title=t(N_("Columns: a test picture, then its reconstruction E[x|z=mu(x)] at each d_z")),
    )
    return compute.spec(fig)


def warm(languages) -> None:
    """Compute what the page draws on a first visit (ui/warmup.py calls it once per server)."""
    from vae.config.shipped import LESSONS

    models = lesson_models(LESSONS["latent size"])
    if models:
        sweep_numbers(models)
        for lang in languages:
            reconstructions_view(tuple(models.values()), EXAMPLES, lang)
